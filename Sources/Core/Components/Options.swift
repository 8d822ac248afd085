/// Validated options of one component: every value present (given or defaulted) and typed.
public struct Options: Sendable {
    public var values: [String: OptionValue]

    public init(_ values: [String: OptionValue] = [:]) { self.values = values }

    public func integer(_ name: String) -> Int? {
        if case let .integer(v)? = values[name] { return v }
        return nil
    }

    public func number(_ name: String) -> Double? {
        switch values[name] {
        case let .number(v)?: return v
        case let .integer(v)?: return Double(v)
        default: return nil
        }
    }

    public func float(_ name: String) -> Float? { number(name).map(Float.init) }

    public func boolean(_ name: String) -> Bool? {
        if case let .boolean(v)? = values[name] { return v }
        return nil
    }

    public func text(_ name: String) -> String? {
        if case let .text(v)? = values[name] { return v }
        return nil
    }

    public func list(_ name: String) -> [OptionValue]? {
        if case let .list(v)? = values[name] { return v }
        return nil
    }

    /// A nested model's name and option values.
    public func model(_ name: String) -> (name: String, options: [String: OptionValue])? {
        if case let .model(modelName, options)? = values[name] { return (modelName, options) }
        return nil
    }

    /// A nested strategy's name and option values.
    public func strategy(_ name: String) -> (name: String, options: [String: OptionValue])? {
        if case let .strategy(strategyName, options)? = values[name] { return (strategyName, options) }
        return nil
    }
}

/// An option value that does not fit its specification.
public struct OptionError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension OptionType {
    /// Whether `value` is of this type and in its range.
    public func accepts(_ value: OptionValue) -> Bool {
        switch (self, value) {
        case let (.integer(range), .integer(v)): return range?.contains(v) ?? true
        case let (.number(range), .number(v)): return v.isFinite && (range?.contains(v) ?? true)
        case let (.number(range), .integer(v)): return range?.contains(Double(v)) ?? true
        case (.boolean, .boolean), (.text, .text): return true
        case let (.choice(names), .text(v)): return names.contains(v)
        case let (.list(element), .list(items)): return items.allSatisfy { element.accepts($0) }
        case (.task, .text), (.strategy, .strategy), (.model, .model): return true
        default: return false
        }
    }
}

extension Options {
    /// Options from values given in code (tests, `RegisteredStrategy.make`): unknown names and
    /// values of the wrong type or range are errors; missing ones take their defaults.
    public init(validating given: [String: OptionValue], specs: [OptionSpec], owner: String) throws {
        var values: [String: OptionValue] = [:]
        for (name, value) in given {
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw OptionError("\(owner) has no option '\(name)' (options: \(specs.map(\.name).joined(separator: ", ")))")
            }
            guard spec.type.accepts(value) else { throw OptionError("\(owner).\(name) must be \(spec.type), found \(value)") }
            values[name] = value
        }
        for spec in specs where values[spec.name] == nil {
            if let value = spec.defaultValue { values[spec.name] = value }
            else if spec.isRequired { throw OptionError("\(owner) needs option '\(spec.name)' (\(spec.type): \(spec.summary))") }
        }
        self.init(values)
    }
}
