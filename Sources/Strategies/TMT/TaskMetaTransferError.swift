/// Why TMT cannot be built or run as asked.
public enum TaskMetaTransferError: Error, CustomStringConvertible, Equatable {
    /// The tasks lack a primary or an auxiliary role.
    case missingRole(String)
    /// An option's value cannot work (e.g. U initialised at 0).
    case invalidOption(String)
    /// A restored state does not fit this configuration.
    case stateMismatch(String)

    public var description: String {
        switch self {
        case let .missingRole(text), let .invalidOption(text), let .stateMismatch(text): return "tmt: \(text)"
        }
    }
}
