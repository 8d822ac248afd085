import Foundation
import TandemCore

/// OL-AUX — online learning of auxiliary-task weights (Lin, Baweja, Kantor & Held, "Adaptive
/// Auxiliary Task Weighting for Reinforcement Learning", NeurIPS 2019).
///
/// L = L_main + Σ_k w_k L_aux,k with meta-parameters w (init 1). Every step records
/// α⟨g_main, g_aux,k⟩ (α the network's learning rate, gradients at the shared parameters); every
/// N steps the strategy optimiser steps w along −Σ_N α⟨g_main, g_aux,k⟩ — the paper's
/// ∇_{w_k} L_main(θ_{t+N}) ≈ −α Σ_j ∇L_mainᵀ∇L_aux,k — so with SGD at learning rate β (the default,
/// β = 5) w_k ← w_k + β·α·Σ⟨g_main, g_aux,k⟩, then w ≥ 0 (the reference's clip).
public final class OnlineLearningAuxiliaryWeights: LossScalarisation, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "ol-aux", title: "OL-AUX (online auxiliary-task weighting)",
        formula: "L = L_main + Σ_k w_k L_aux,k; every N steps w_k ← max(0, w_k + β·α·Σ_N ⟨g_main, g_aux,k⟩)",
        paper: "Lin, Baweja, Kantor & Held, \"Adaptive Auxiliary Task Weighting for Reinforcement Learning\", NeurIPS 2019",
        options: [
            OptionSpec("interval", .integer(1...10_000), default: .integer(5), "N, steps between weight updates (reference aux_update_interval)"),
            OptionSpec("initial_weight", .number(0...100), default: .number(1), "w₀ of every auxiliary task"),
            OptionSpec("log_losses", .boolean, default: .boolean(false),
                       "the reference's gradient balancing: every loss L replaced by log(L + 0.02) (for training and the inner products)"),
            OptionSpec("window", .integer(1...64), default: .integer(1),
                       "the reference's averaging window: inner products of gradients averaged over the last W steps (reference: 4); 1 = the paper"),
            OptionSpec("weighted_main", .boolean, default: .boolean(false),
                       "the reference's quirk: 'main' is the weighted total loss L_main + Σ w_k L_aux,k, not L_main alone"),
        ],
        cost: "1 + K encoder backwards (K auxiliary tasks), K inner products; the direction is one combination pass",
        conventions: ["β is the strategy optimiser's learning rate (default SGD 5, the reference aux_base_lr); α the shared group's",
                      "the weights updated at an N-th step apply from the next step",
                      "batches without primary labels train on Σ w_k L_aux,k and record nothing",
                      "with window > 1, the last W gradients are kept (and checkpointed): W·(K+1)·P values"],
        behaviour: StrategyBehaviour(roles: .onePrimary),
        defaultStrategyOptimizer: OptimizerDefault(.sgd, learningRate: 5))

    public let interval: Int
    public let logLosses: Bool
    public let window: Int
    public let weightedMain: Bool
    public var metaParameters: Parameters
    public var requirements: CombinerRequirements { .sharedParameterGradients }
    /// Σ α⟨g_main, g_aux,k⟩ since the last update, and the steps recorded.
    public private(set) var accumulated: [String: Double] = [:]
    public private(set) var recorded = 0
    /// The last `window` steps' flattened (main, auxiliary…) gradients.
    private var history: [[String: [Float]]] = []

    static let logOffset: Float = 0.02

    public init(tasks: [TaskSpec], interval: Int = 5, initialWeight: Float = 1, logLosses: Bool = false, window: Int = 1,
                weightedMain: Bool = false) {
        self.interval = interval
        self.logLosses = logLosses
        self.window = window
        self.weightedMain = weightedMain
        metaParameters = Parameters(tasks.filter { $0.role == .auxiliary }.map { ("weight.\($0.name)", Tensor(shape: [1], scalars: [initialWeight])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, interval: options.integer("interval")!, initialWeight: options.float("initial_weight")!,
                  logLosses: options.boolean("log_losses")!, window: options.integer("window")!, weightedMain: options.boolean("weighted_main")!)
    }

    public func weight(_ task: String) -> Float { metaParameters["weight.\(task)"].scalar }

    /// f(L) = L, or log(L + 0.02) with `log_losses`.
    func transformed(_ loss: Tensor) -> Tensor { logLosses ? log(loss + Self.logOffset) : loss }

    public func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        let main = context.primaryTasks, auxiliary = context.auxiliaryTasks
        let weights = Dictionary(uniqueKeysWithValues: auxiliary.map { ($0, weight($0)) })
        for task in auxiliary { context.report("weight.\(task)", Double(weights[task]!)) }
        if !main.isEmpty, !auxiliary.isEmpty { try record(context, main: main, auxiliary: auxiliary, weights: weights) }
        return context.taskNames.map { transformed(losses[$0]!) * (weights[$0] ?? 1) }.reduce(Tensor(0), +)
    }

    func record(_ context: StepContext, main: [String], auxiliary: [String], weights: [String: Float]) throws {
        let gradients = try context.sharedParameterGradients()
        func row(_ task: String) -> [Float] {
            let scale: Float = logLosses ? 1 / (context.losses[task]! + Self.logOffset) : 1
            return gradients[task]!.flattened().scalars.map { $0 * scale }
        }
        let auxiliaryRows = Dictionary(uniqueKeysWithValues: auxiliary.map { ($0, row($0)) })
        var mainRow = main.map(row).reduce(into: [Float](repeating: 0, count: auxiliaryRows[auxiliary[0]]!.count)) { sum, r in
            for i in sum.indices { sum[i] += r[i] }
        }
        if weightedMain {
            for task in auxiliary { for i in mainRow.indices { mainRow[i] += weights[task]! * auxiliaryRows[task]![i] } }
        }
        var entry = auxiliaryRows
        entry[""] = mainRow
        history = Array((history + [entry]).suffix(window))
        func averaged(_ key: String) -> [Float] {
            let rows = history.compactMap { $0[key] }
            return rows.dropFirst().reduce(rows[0]) { sum, r in zip(sum, r).map { $0 + $1 } }.map { $0 / Float(rows.count) }
        }
        let averagedMain = averaged("")
        let alpha = Double(context.learningRates["shared"]!)
        for task in auxiliary {
            let product = zip(averagedMain, averaged(task)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            accumulated[task, default: 0] += alpha * product
        }
        recorded += 1
        guard recorded == interval else { return }
        let gradient = Parameters(auxiliary.map { ("weight.\($0)", Tensor(shape: [1], scalars: [Float(-accumulated[$0]!)])) })
        let stepped = try context.stepMetaParameters(metaParameters, gradients: gradient)
        metaParameters = stepped.map { _, w in Tensor(shape: w.shape, scalars: w.scalars.map { max(0, $0) }) }
        accumulated = [:]
        recorded = 0
    }

    public func saveState() -> StrategyState {
        var numbers = Dictionary(uniqueKeysWithValues: accumulated.map { ("accumulated.\($0.key)", [$0.value]) })
        numbers["recorded"] = [Double(recorded)]
        for (index, entry) in history.enumerated() {
            for (key, row) in entry { numbers["history.\(index).\(key)"] = row.map(Double.init) }
        }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        accumulated = [:]
        history = []
        recorded = Int(try state.numbers("recorded", count: 1)[0])
        var entries: [Int: [String: [Float]]] = [:]
        for (key, values) in state.numbers {
            if key.hasPrefix("accumulated.") { accumulated[String(key.dropFirst("accumulated.".count))] = values[0] }
            if key.hasPrefix("history.") {
                let rest = key.dropFirst("history.".count)
                guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) else { throw StrategyStateError.missing(key) }
                entries[index, default: [:]][String(rest[rest.index(after: dot)...])] = values.map(Float.init)
            }
        }
        history = entries.keys.sorted().map { entries[$0]! }
    }
}
