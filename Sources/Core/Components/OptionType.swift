/// The type of one option, with the checks applied before anything runs.
public indirect enum OptionType: Equatable, Sendable, CustomStringConvertible {
    case integer(ClosedRange<Int>?)
    case number(ClosedRange<Double>?)
    case boolean
    case text
    /// One of the listed names.
    case choice([String])
    /// A list of values of one type.
    case list(OptionType)

    public var description: String {
        switch self {
        case let .integer(range): return "an integer" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case let .number(range): return "a number" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case .boolean: return "true or false"
        case .text: return "a text"
        case let .choice(names): return "one of \(names.joined(separator: ", "))"
        case let .list(element): return "a list of \(element)"
        }
    }
}

/// A typed option value.
public indirect enum OptionValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case text(String)
    case list([OptionValue])

    public var description: String {
        switch self {
        case let .integer(v): return "\(v)"
        case let .number(v): return "\(v)"
        case let .boolean(v): return "\(v)"
        case let .text(v): return v
        case let .list(vs): return "[" + vs.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
