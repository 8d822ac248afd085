import TandemCore

/// CR-MOGM's weight smoothing (Zhou, Zhang, Chen, Gu, Tan & Zhang, "On the Convergence of
/// Stochastic Multi-Objective Gradient Manipulation and Beyond", NeurIPS 2022; TorchJD
/// `CRMOGMWeighting`), wrapped around any strategy whose encoder stage answers with task weights
/// (every Gramian weighting — MGDA, UPGrad, Nash-MTL, … — and every loss weighting): an
/// exponential moving average of its weights across steps, **`λ_k = α λ_{k−1} + (1 − α) λ̂_k`**,
/// λ_1 = λ̂_1; the encoder gets `Σ_t λ_t L_t`. The heads and the inner strategy's own state are
/// the inner strategy's.
public final class CRMOGM: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "cr-mogm", title: "CR-MOGM (weights smoothed across steps), on any weighting strategy",
        formula: "λ_k = α λ_{k−1} + (1 − α) λ̂_k (λ̂: the inner strategy's task weights, λ_1 = λ̂_1); L_encoder = Σ_t λ_t L_t",
        paper: "Zhou, Zhang, Chen, Gu, Tan & Zhang, \"On the Convergence of Stochastic Multi-Objective Gradient Manipulation and Beyond\", NeurIPS 2022",
        options: [
            OptionSpec("strategy", .strategy, default: .strategy(name: "mgda-ub", options: ["level": .text("parameters")]),
                       "the strategy whose task weights are smoothed (one whose encoder answers with weights; default: MGDA on the shared parameters, the paper's)"),
            OptionSpec("alpha", .number(0...1), default: .number(0.9), "α, the weight on the previous λ (TorchJD: 0.9; 0 leaves the inner weights, 1 freezes the first)"),
        ],
        cost: "the inner strategy's cost",
        conventions: ["λ_1 is the inner strategy's first weights (TorchJD's default, no initial_weights)",
                      "α is constant (the paper's Corollary 1 lets it grow as the learning rate decays; TorchJD leaves that to the user)",
                      "λ is kept per task; a task missing from a step keeps its λ, a new task starts at its λ̂",
                      "a strategy that answers with a direction (PCGrad, GradDrop) is refused at its first step"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let inner: any GradientCombiner
    public let alpha: Double
    private var smoothed: [String: Double] = [:]

    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { inner.declaredRequirements }
    public var ownParameters: Parameters {
        get { inner.decoder.ownParameters }
        set { inner.decoder.ownParameters = newValue }
    }
    public var metaParameters: Parameters {
        get { inner.decoder.metaParameters }
        set { inner.decoder.metaParameters = newValue }
    }

    public init(_ inner: any GradientCombiner, alpha: Double = 0.9) {
        self.inner = inner
        self.alpha = alpha
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(try context.nestedStrategy(options.strategy("strategy"), owner: "cr-mogm.strategy"), alpha: options.number("alpha")!)
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        try inner.decoder.decoderLoss(losses, ownParameters: ownParameters, context: context)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        guard case let .lossWeights(raw) = try inner.encoder.encoderGradient(context) else {
            throw StrategyContractError(strategy: name, problem: "needs a strategy whose encoder stage answers with task weights; '\(inner.name)' answers with a direction")
        }
        var weights: [String: Float] = [:]
        for (task, value) in raw {
            let current = Double(value)
            let next = smoothed[task].map { alpha * $0 + (1 - alpha) * current } ?? current
            smoothed[task] = next
            weights[task] = Float(next)
            context.report("smoothed.\(task)", next)
        }
        return .lossWeights(weights)
    }

    public func epochEnded(meanLosses: [String: Float]) { inner.notifyEpochEnded(meanLosses: meanLosses) }

    public func stepFinished(_ context: StepContext) throws {
        for stage in [inner.decoder as any StrategyStage] + ((inner.encoder as AnyObject) === (inner.decoder as AnyObject) ? [] : [inner.encoder]) {
            try stage.stepFinished(context)
        }
    }

    public func saveState() -> StrategyState {
        var state = inner.saveStrategyState()
        for (task, value) in smoothed { state.numbers["cr-mogm.\(task)"] = [value] }
        return state
    }

    public func restoreState(_ state: StrategyState) throws {
        var own = state
        own.numbers = own.numbers.filter { !$0.key.hasPrefix("cr-mogm.") }
        try inner.restoreStrategyState(own)
        smoothed = [:]
        for key in state.numbers.keys where key.hasPrefix("cr-mogm.") {
            smoothed[String(key.dropFirst("cr-mogm.".count))] = try state.numbers(key, count: 1)[0]
        }
    }
}
