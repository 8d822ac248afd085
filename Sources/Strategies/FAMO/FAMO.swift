import TandemCore

/// FAMO — fast adaptive multitask optimisation (Liu, Feng, Stone & Liu, NeurIPS 2023),
/// STRATEGIES.md §13j: loss weights `w_t = c z_t/(L_t − b + ε)` from logits ξ (`z = softmax(ξ)`,
/// `c` normalising Σw = 1), one backward per step; after the model's update the post-step hook
/// reads the same batch's losses `L⁺` and steps ξ along `z ⊙ (δ − zᵀδ)`, `δ_t = log D_t − log D⁺_t`
/// (`FAMOWeighting`) with the strategy optimiser (default Adam, lr 0.025, weight decay 1e-3).
public final class FAMO: LossWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "famo", title: "FAMO (fast adaptive multitask optimisation)",
        formula: "w_t = c z_t/(L_t − b + ε), z = softmax(ξ); after the step ξ ← opt(ξ, z ⊙ (δ − zᵀδ)), δ_t = log(L_t−b+ε) − log(L⁺_t−b+ε)",
        paper: "Liu, Feng, Stone & Liu, \"FAMO: Fast Adaptive Multitask Optimization\", NeurIPS 2023",
        options: [
            OptionSpec("offset", .number(-1e12...1e12), default: .number(0),
                       "b, subtracted from every loss (the references' min_losses; LibMTL 0); losses must stay above it"),
        ],
        cost: "as EW + one forward pass without a graph after the update (the losses after the step)",
        conventions: ["ξ starts at 0 and is stepped by the strategy optimiser: Adam(0.025, L2 weight decay 1e-3) as LibMTL/TorchJD/run.sh unless the recipe sets one; SGD with weight decay γ is the paper's Algorithm 1",
                      "the losses after the update are the same batch's, at the updated parameters (the references' extra forward under no_grad)",
                      "ε = 1e-8 as the references",
                      "a loss at or below the offset after the update skips that step's logit update (famo.updated = 0 in the record)"],
        behaviour: StrategyBehaviour(),
        defaultStrategyOptimizer: OptimizerDefault(.adam, learningRate: 0.025, weightDecay: 1e-3))

    public let offset: Double
    public let taskNames: [String]
    public var metaParameters: Parameters
    /// This step's losses (before the update), kept for the post-step hook.
    private var lossesBefore: [String: Float]?

    public var requirements: CombinerRequirements { .lossesAfterUpdate }

    public init(tasks: [TaskSpec], offset: Double = 0) {
        self.offset = offset
        taskNames = tasks.map(\.name)
        metaParameters = Parameters(tasks.map { ("logit.\($0.name)", Tensor(shape: [1], scalars: [0])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, offset: options.number("offset")!)
    }

    func logits(_ names: [String]) -> [Double] { names.map { Double(metaParameters["logit.\($0)"].scalar) } }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let names = context.taskNames
        let losses = names.map { Double(context.losses[$0]!) }
        let w = try FAMOWeighting.weights(logits: logits(names), losses: losses, offsets: [Double](repeating: offset, count: names.count)).weights
        lossesBefore = context.losses
        for (name, value) in zip(names, w) { context.report("weight.\(name)", value) }
        return Dictionary(uniqueKeysWithValues: zip(names, w.map(Float.init)))
    }

    public func stepFinished(_ context: StepContext) throws {
        guard let before = lossesBefore else { return }
        lossesBefore = nil
        let after = try context.lossesAfterUpdate()
        let names = context.taskNames
        let offsets = [Double](repeating: offset, count: names.count)
        // A loss at or below the offset after the update has no logarithm: the logits keep their
        // value this step, and the record says so (famo.updated = 0).
        guard names.allSatisfy({ Double(after[$0]!) - offset + FAMOWeighting.defaultEpsilon > 0 }) else {
            context.report("famo.updated", 0)
            return
        }
        context.report("famo.updated", 1)
        let gradient = try FAMOWeighting.logitGradient(logits: logits(names), lossesBefore: names.map { Double(before[$0]!) },
                                                       lossesAfter: names.map { Double(after[$0]!) }, offsets: offsets)
        let gradients = Parameters(zip(names, gradient).map { ("logit.\($0)", Tensor(shape: [1], scalars: [Float($1)])) })
        metaParameters = try context.stepMetaParameters(metaParameters, gradients: gradients)
    }
}
