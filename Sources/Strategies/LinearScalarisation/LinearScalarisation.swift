import Foundation
import TandemCore

/// Linear scalarisation with fixed per-task weights, LS: `L = Σ_t w_t L_t` with constants w_t
/// chosen before training (TorchJD's `Constant` aggregator and scalariser; the "LS" row of the
/// Nash-MTL and FAMO tables, where the weights are tuned by grid search). One backward pass; head t
/// trains on w_t ∇L_t. Without `weights` every w_t = 1 (the sum, as `ew`), the natural centre of
/// a grid; `recipes/ls-grid.yaml` is a grid-search template over the weights, tuned on validation.
public final class LinearScalarisation: LossWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "ls", title: "Linear scalarisation (fixed per-task weights)",
        formula: "L = Σ_t w_t L_t, w_t ≥ 0 fixed (default w_t = 1)",
        paper: "the scalarisation baseline (e.g. Navon et al., Nash-MTL, ICML 2022, \"LS\"); TorchJD `Constant`",
        options: [OptionSpec("weights", .text, default: nil,
                             "per-task weights by task name, \"TASK=W, TASK=W\" (every task of the recipe, each W ≥ 0 and finite, not all 0); unset: every w_t = 1")],
        cost: "as EW: one forward and one backward pass",
        conventions: ["weights are used as given (no renormalisation; a step on a subset of the tasks uses those tasks' weights)",
                      "unset weights mean w_t = 1 for every task: the sum, as `ew` (LibMTL's EW)"])

    /// w_t by task name (nil: 1 for every task).
    public let weights: [String: Double]?

    /// - Throws: `OptionError` when `weights` misses one of `taskNames`, names another, or is
    ///   negative, not finite or all zero.
    public init(weights: [String: Double]?, taskNames: [String]) throws {
        if let weights { try Self.validate(weights, taskNames: taskNames) }
        self.weights = weights
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        let names = context.tasks.map(\.name)
        try self.init(weights: try options.text("weights").map { try Self.parse($0, taskNames: names) }, taskNames: names)
    }

    /// Reads `"TASK=W, TASK=W"` (commas or spaces between entries; `:` is accepted for `=`).
    /// - Throws: `OptionError` naming the entry that is not `TASK=W`, a task named twice, or any
    ///   problem `validate` finds.
    public static func parse(_ text: String, taskNames: [String]) throws -> [String: Double] {
        let entries = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == ";" }).map(String.init)
        guard !entries.isEmpty else {
            throw OptionError("ls.weights is empty: expected \"TASK=W, …\" with one weight per task (\(taskNames.joined(separator: ", ")))")
        }
        var result: [String: Double] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false).count == 2
                ? entry.split(separator: "=", omittingEmptySubsequences: false)
                : entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw OptionError("ls.weights: '\(entry)' is not TASK=W (expected e.g. \"\(taskNames.first ?? "task")=0.5\")")
            }
            let name = String(parts[0])
            guard let value = Double(parts[1]) else {
                throw OptionError("ls.weights: the weight of '\(name)' must be a number, found '\(parts[1])'")
            }
            guard result[name] == nil else { throw OptionError("ls.weights names task '\(name)' twice") }
            result[name] = value
        }
        try validate(result, taskNames: taskNames)
        return result
    }

    /// Every task has exactly one finite, non-negative weight, and not all are zero.
    public static func validate(_ weights: [String: Double], taskNames: [String]) throws {
        for name in weights.keys.sorted() where !taskNames.contains(name) {
            throw OptionError("ls.weights names '\(name)', which is not a task of the recipe (tasks: \(taskNames.joined(separator: ", ")))")
        }
        for name in taskNames where weights[name] == nil {
            throw OptionError("ls.weights has no weight for task '\(name)' (every task needs one: \(taskNames.joined(separator: ", ")))")
        }
        for name in taskNames {
            let value = weights[name]!
            guard value.isFinite, value >= 0 else {
                throw OptionError("ls.weights: the weight of '\(name)' must be a finite number ≥ 0, found \(value)")
            }
        }
        guard weights.values.contains(where: { $0 > 0 }) else {
            throw OptionError("ls.weights are all zero: at least one task needs a positive weight")
        }
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, Float(weights?[$0] ?? 1)) })
    }
}
