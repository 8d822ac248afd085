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
    /// The name of one of the recipe's tasks (recipe checking compares it with them).
    case task
    /// A nested strategy: a name, or `{name: …, its options…}` (composition: IT on UW, …).
    case strategy
    /// A nested model: a name, or `{name: …, its options…}` (an architecture's encoder).
    case model

    public var description: String {
        switch self {
        case let .integer(range): return "an integer" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case let .number(range): return "a number" + (range.map { " in \($0.lowerBound)…\($0.upperBound)" } ?? "")
        case .boolean: return "true or false"
        case .text: return "a text"
        case let .choice(names): return "one of \(names.joined(separator: ", "))"
        case let .list(element): return "a list of \(element)"
        case .task: return "a task of the recipe"
        case .strategy: return "a strategy (a name, or {name: …, options})"
        case .model: return "a model (a name, or {name: …, options})"
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
    /// A nested strategy and its option values (checked when it is built).
    case strategy(name: String, options: [String: OptionValue])
    /// A nested model and its option values (checked when it is built).
    case model(name: String, options: [String: OptionValue])

    public var description: String {
        switch self {
        case let .integer(v): return "\(v)"
        case let .number(v): return "\(v)"
        case let .boolean(v): return "\(v)"
        case let .text(v): return v
        case let .list(vs): return "[" + vs.map(\.description).joined(separator: ", ") + "]"
        case let .strategy(name, options), let .model(name, options):
            let entries = options.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            return entries.isEmpty ? name : "{name: \(name), " + entries.joined(separator: ", ") + "}"
        }
    }
}
