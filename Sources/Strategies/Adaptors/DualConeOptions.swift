import TandemCore

/// The options UPGrad and DualProj share (TorchJD's `pref_vector` and its quadprog projector's
/// `norm_eps` / `reg_eps`): one description, read once, for both strategies.
public struct DualConeOptions: Equatable, Sendable {
    /// The preference p that weights the projections (UPGrad) or the combination that is
    /// projected (DualProj).
    public enum Preference: Equatable, Sendable {
        /// p_t = 1/T (TorchJD's default `pref_vector=None`): the mean.
        case mean
        /// p_t = 1: the sum (T × the mean's direction).
        case ones
        /// p_t given per task (TorchJD's `pref_vector`), non-negative, not all zero.
        case weights([String: Double])

        /// p for the tasks of one step, in their order. Explicit weights are used as given (a
        /// step on a subset of the tasks is not renormalised).
        /// - Throws: `OptionError` when a task has no weight.
        public func vector(for taskNames: [String]) throws -> [Double] {
            switch self {
            case .mean: return [Double](repeating: 1 / Double(taskNames.count), count: taskNames.count)
            case .ones: return [Double](repeating: 1, count: taskNames.count)
            case let .weights(byTask):
                return try taskNames.map { name in
                    guard let value = byTask[name] else {
                        throw OptionError("preference_weights has no weight for task '\(name)' (it has \(byTask.keys.sorted().joined(separator: ", ")))")
                    }
                    return value
                }
            }
        }
    }

    public var numerics: DualConeProjection.Numerics
    public var preference: Preference

    public init(numerics: DualConeProjection.Numerics = .exact, preference: Preference = .mean) {
        self.numerics = numerics
        self.preference = preference
    }

    /// The option specs, in the order `tandem describe` shows them.
    public static let specs: [OptionSpec] = [
        OptionSpec("norm_eps", .number(0...1), default: .number(0),
                   "M is treated as 0 when its trace is below this (TorchJD: 1e-4)"),
        OptionSpec("reg_eps", .number(0...1), default: .number(0),
                   "added to the diagonal of M/tr(M) before solving (TorchJD: 1e-4; moves d by up to a few % when one gradient dominates)"),
        OptionSpec("preference", .choice(["mean", "ones"]), default: .text("mean"),
                   "p = 1/T (mean, TorchJD's default) or p = 1 (ones: the sum, T × the mean's direction)"),
        OptionSpec("preference_weights", .list(.number(0...1e6)), default: nil,
                   "an explicit p, one non-negative number per task in the recipe's task order (TorchJD's pref_vector); replaces `preference`"),
    ]

    /// Reads the options checked against `specs`; explicit weights are matched to the run's tasks.
    /// - Throws: `OptionError` when `preference_weights` has the wrong length or is all zero.
    public init(options: Options, context: StrategyBuildContext, owner: String) throws {
        numerics = .init(normEpsilon: options.number("norm_eps")!, regularisationEpsilon: options.number("reg_eps")!)
        if let weights = try PreferenceWeights.read(options, context: context, owner: owner) {
            preference = .weights(weights)
        } else {
            preference = options.text("preference") == "ones" ? .ones : .mean
        }
    }
}
