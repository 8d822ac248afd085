/// A strategy's checkpointable state besides its trainable parameters: named arrays of numbers
/// (Double, so Float values round-trip exactly) and of 64-bit words (RNG states, counters).
public struct StrategyState: Codable, Equatable, Sendable {
    public var numbers: [String: [Double]]
    public var words: [String: [UInt64]]

    public init(numbers: [String: [Double]] = [:], words: [String: [UInt64]] = [:]) {
        self.numbers = numbers
        self.words = words
    }

    /// The array stored under `key`, or an error naming it.
    public func numbers(_ key: String, count: Int? = nil) throws -> [Double] {
        guard let values = numbers[key] else { throw StrategyStateError.missing(key) }
        if let count, values.count != count { throw StrategyStateError.wrongLength(key, expected: count, found: values.count) }
        return values
    }

    public func words(_ key: String) throws -> [UInt64] {
        guard let values = words[key] else { throw StrategyStateError.missing(key) }
        return values
    }

    public func generator(_ key: String) throws -> SeededGenerator {
        let state = try words(key)
        guard state.count == 4 else { throw StrategyStateError.wrongLength(key, expected: 4, found: state.count) }
        return SeededGenerator(state: state)
    }

    /// Stores meta-parameter values under `meta.NAME` (Double, so Float values round-trip exactly).
    public mutating func storeMetaParameters(_ parameters: Parameters) {
        for (name, tensor) in parameters { numbers["meta.\(name)"] = tensor.scalars.map(Double.init) }
    }

    /// The meta-parameters stored by `storeMetaParameters`, shaped like `template`; an error names
    /// a missing entry or a wrong length.
    public func metaParameters(like template: Parameters) throws -> Parameters {
        var result = Parameters()
        for (name, tensor) in template {
            let values = try numbers("meta.\(name)", count: tensor.count)
            result[name] = Tensor(shape: tensor.shape, scalars: values.map(Float.init))
        }
        return result
    }

    static func merging(decoder: StrategyState, encoder: StrategyState) -> StrategyState {
        var result = StrategyState()
        for (k, v) in decoder.numbers { result.numbers["decoder.\(k)"] = v }
        for (k, v) in decoder.words { result.words["decoder.\(k)"] = v }
        for (k, v) in encoder.numbers { result.numbers["encoder.\(k)"] = v }
        for (k, v) in encoder.words { result.words["encoder.\(k)"] = v }
        return result
    }

    func splitStages() -> (decoder: StrategyState, encoder: StrategyState) {
        func part(_ prefix: String) -> StrategyState {
            StrategyState(
                numbers: Dictionary(uniqueKeysWithValues: numbers.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) }),
                words: Dictionary(uniqueKeysWithValues: words.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
        }
        return (part("decoder."), part("encoder."))
    }
}

public enum StrategyStateError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case wrongLength(String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .missing(key): return "strategy state has no entry '\(key)'"
        case let .wrongLength(key, expected, found): return "strategy state entry '\(key)' has \(found) values, expected \(expected)"
        }
    }
}
