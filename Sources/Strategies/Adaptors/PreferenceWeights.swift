import TandemCore

/// The `preference_weights` option TorchJD's aggregators take (UPGrad, DualProj, ConFIG): one
/// non-negative number per task, in the recipe's task order, not all zero.
enum PreferenceWeights {
    /// Task → weight from `options`' `preference_weights`, nil when the option is absent; an
    /// `OptionError` naming `owner` when the list has the wrong length or is all zero.
    static func read(_ options: Options, context: StrategyBuildContext, owner: String) throws -> [String: Double]? {
        guard let list = options.list("preference_weights") else { return nil }
        let values = list.compactMap { value -> Double? in
            switch value {
            case let .number(v): return v
            case let .integer(v): return Double(v)
            default: return nil
            }
        }
        let names = context.tasks.map(\.name)
        guard values.count == list.count, values.count == names.count else {
            throw OptionError("\(owner).preference_weights needs one number per task (\(names.count): \(names.joined(separator: ", "))), found \(list.count)")
        }
        guard values.contains(where: { $0 > 0 }) else {
            throw OptionError("\(owner).preference_weights must not be all zero (the direction would be 0)")
        }
        return Dictionary(uniqueKeysWithValues: zip(names, values))
    }
}
