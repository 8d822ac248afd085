import Foundation
import TandemCore
import TandemDatasets

/// The work behind `tandem combine`: applies a strategy's encoder stage (after its decoder stage)
/// to given per-task gradients (one row per task) and returns the combined gradient.
public enum CombineGradients {
    public struct Result {
        public var direction: [Float]
        public var outcome: GradientCombinationProblem.Outcome
        public var taskNames: [String]
    }

    /// Parses `key=value` words into options for a component (values are read as YAML scalars or
    /// flow lists, e.g. `order=[1,0]`).
    public static func options(_ words: [String], specs: [OptionSpec], owner: String) throws -> Options {
        var lines: [String] = []
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw RecipeError(file: "--option", line: 1, column: 1, message: "expected key=value, found '\(word)'")
            }
            lines.append("\(word[..<equals]): \(word[word.index(after: equals)...])")
        }
        let node = try YAMLNode.parse(lines.joined(separator: "\n"), file: "--option")
        return try Options.parse(lines.isEmpty ? nil : node, specs: specs, owner: owner)
    }

    public static func run(strategy name: String, gradients: NpyArray, gradientsPath: String, losses: NpyArray?, lossesPath: String?,
                           roles: [TaskRole]?, optionWords: [String], learningRate: Float = 0.1, seed: UInt64 = 0,
                           registry: Registry = .standard) throws -> Result {
        guard let entry = registry.strategies[name] else {
            throw CommandError(NameSuggestion.unknown("strategy", name, valid: registry.strategyNames))
        }
        guard gradients.shape.count == 2, gradients.shape[0] >= 1, gradients.shape[1] >= 1 else {
            throw CommandError("\(gradientsPath): gradients must be a 2-D array with one row per task, shape is \(gradients.shape)")
        }
        let taskCount = gradients.shape[0], width = gradients.shape[1]
        let flat = gradients.floatScalars()
        let rows = (0..<taskCount).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }
        var lossValues = [Float](repeating: 1, count: taskCount)
        if let losses, let lossesPath {
            guard losses.count == taskCount, losses.shape.count <= 1 else {
                throw CommandError("\(lossesPath): losses must be a vector of \(taskCount) values (one per task), shape is \(losses.shape)")
            }
            lossValues = losses.floatScalars()
            if let bad = lossValues.firstIndex(where: { !$0.isFinite }) { throw CommandError("\(lossesPath): loss \(bad) is not finite") }
        }
        if let bad = flat.firstIndex(where: { !$0.isFinite }) {
            throw CommandError("\(gradientsPath): gradient value at row \(bad / width), column \(bad % width) is not finite")
        }
        let taskRoles = roles ?? [TaskRole](repeating: .primary, count: taskCount)
        guard taskRoles.count == taskCount else {
            throw CommandError("--roles lists \(taskRoles.count) roles for \(taskCount) task rows")
        }
        // The rule of a recipe's `tasks:`: without a primary task there is nothing to serve, and
        // strategies that weight auxiliaries against the primaries (IAL) return a zero gradient.
        guard taskRoles.contains(.primary) else {
            throw CommandError("--roles: at least one task row must have role primary, as in a recipe's tasks:, found "
                               + taskRoles.map(\.rawValue).joined(separator: ","))
        }
        let names = (0..<taskCount).map { "task\($0)" }
        let tasks = zip(names, taskRoles).map { TaskSpec(name: $0, kind: .regression(outputs: 1), role: $1) }
        let options = try options(optionWords, specs: entry.description.options, owner: name)
        let strategy = try entry.make(options, registry.buildContext(tasks: tasks, seed: seed))
        let problem = try GradientCombinationProblem(gradients: rows, losses: lossValues, taskNames: names, roles: taskRoles,
                                                 learningRate: learningRate)
        // A non-finite result is a failure (float32 overflow of large gradients, a solver that
        // diverged), never an answer — whether the step's own checks or this one find it.
        let largest = flat.map { abs($0) }.max() ?? 0
        func nonFinite(_ what: String) -> CommandError {
            CommandError("strategy \(name) produced a non-finite \(what) from \(gradientsPath); the largest input magnitude is \(largest) "
                         + "(float32 overflows beyond 3.4e38: rescale the gradients)")
        }
        let outcome: GradientCombinationProblem.Outcome
        do { outcome = try problem.combine(with: strategy) }
        catch let error as NonFiniteValueError { throw nonFinite("combined gradient (\(error.quantity))") }
        if let bad = outcome.direction.firstIndex(where: { !$0.isFinite }) {
            throw nonFinite("combined gradient (element \(bad) is \(outcome.direction[bad]))")
        }
        for (what, weights) in [("decoder", outcome.decoderWeights), ("encoder", outcome.encoderWeights ?? [:])] {
            if let (task, weight) = weights.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite }) {
                throw CommandError("strategy \(name) produced a non-finite \(what) weight for \(task) (\(weight)) from \(gradientsPath)")
            }
        }
        return Result(direction: outcome.direction, outcome: outcome, taskNames: names)
    }
}

/// A command-line problem, said plainly.
public struct CommandError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
