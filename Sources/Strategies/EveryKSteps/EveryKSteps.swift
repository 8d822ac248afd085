import TandemCore

/// "Update every k steps": runs a weighting strategy's full computation on steps 0, k, 2k, … and
/// reuses its last task weights in between — for the encoder (`Σ_t w_t L_t`, one backward, no
/// per-task gradients) and for the heads (the last decoder weights). Nash-MTL's
/// `update_weights_every`, generalised to any strategy whose encoder stage answers with task
/// weights (every Gramian weighting — MGDA, Nash-MTL, IMTL-G, Aligned-MTL, UPGrad, DualProj,
/// FairGrad, CAGrad, GradVac — and every loss weighting). A strategy that answers with a
/// direction (PCGrad, GradDrop) is refused at its first step, and so is one that trains its own
/// parameters through the decoder loss (they would not train on the reused steps).
public final class EveryKSteps: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "every-k-steps", title: "Update every k steps (weight reuse)",
        formula: "w^{(s)} = strategy's weights at s if s mod k = 0, else w^{(s−1)}; L = Σ_t w_t^{(s)} L_t",
        paper: "Navon et al., \"Multi-Task Learning as a Bargaining Game\", ICML 2022 (update_weights_every)",
        options: [
            OptionSpec("strategy", .text, default: .text("nash-mtl"), "the registered strategy whose weights are reused (its default options)"),
            OptionSpec("k", .integer(1...1_000_000), default: .integer(1), "recompute every k steps (LibMTL's Nash-MTL default: 1)"),
        ],
        cost: "the strategy's cost every k-th step, EW's in between",
        conventions: ["steps are counted by the wrapper (its counter and last weights are checkpointed)",
                      "the first step always computes"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let inner: any GradientCombiner
    public let period: Int
    public private(set) var counter = 0
    public private(set) var encoderWeights: [String: Float]?
    public private(set) var decoderWeights: [String: Float]?

    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { inner.declaredRequirements }
    public var metaParameters: Parameters {
        get { inner.decoder.metaParameters }
        set { inner.decoder.metaParameters = newValue }
    }

    public init(_ inner: any GradientCombiner, every period: Int) throws {
        guard period >= 1 else { throw OptionError("every-k-steps: k must be at least 1, got \(period)") }
        guard inner.decoder.ownParameters.isEmpty else {
            throw OptionError("every-k-steps: '\(inner.name)' trains its own parameters through its decoder loss; reusing its weights would freeze them")
        }
        self.inner = inner
        self.period = period
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        let name = options.text("strategy")!
        let inner: any GradientCombiner
        if let build = context.buildStrategy {
            inner = try build(name, [:])
        } else if let type = BuiltInStrategies.all.first(where: { $0.description.name == name }) {
            inner = try type.make([:], tasks: context.tasks, seed: context.seed)
        } else {
            throw OptionError("every-k-steps: no strategy named '\(name)'")
        }
        try self.init(inner, every: options.integer("k")!)
    }

    var recomputes: Bool { counter % period == 0 || encoderWeights == nil }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        if recomputes { return try inner.decoder.decoderLoss(losses, ownParameters: ownParameters, context: context) }
        return try context.taskNames.map { name in
            guard let w = decoderWeights?[name] else {
                throw StrategyContractError(strategy: self.name, problem: "has no reused weight for task '\(name)' (tasks changed between updates)")
            }
            return losses[name]! * w
        }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        defer { counter += 1 }
        context.report("every-k.recomputed", recomputes ? 1 : 0)
        guard recomputes else { return .lossWeights(encoderWeights!) }
        let answer = try inner.encoder.encoderGradient(context)
        guard case let .lossWeights(weights) = answer else {
            throw StrategyContractError(strategy: name, problem: "needs a strategy whose encoder stage answers with task weights; '\(inner.name)' answers with a direction")
        }
        encoderWeights = weights
        decoderWeights = context.decoderWeights
        return answer
    }

    public func epochEnded(meanLosses: [String: Float]) { inner.notifyEpochEnded(meanLosses: meanLosses) }

    public func stepFinished(_ context: StepContext) throws {
        for stage in [inner.decoder as any StrategyStage] + ((inner.encoder as AnyObject) === (inner.decoder as AnyObject) ? [] : [inner.encoder]) {
            try stage.stepFinished(context)
        }
    }

    public func saveState() -> StrategyState {
        var state = inner.saveStrategyState()
        state.numbers["every-k.counter"] = [Double(counter)]
        for (key, weights) in [("encoder", encoderWeights), ("decoder", decoderWeights)] {
            for (task, w) in weights ?? [:] { state.numbers["every-k.\(key).\(task)"] = [Double(w)] }
        }
        return state
    }

    public func restoreState(_ state: StrategyState) throws {
        var own = state
        own.numbers = own.numbers.filter { !$0.key.hasPrefix("every-k.") }
        try inner.restoreStrategyState(own)
        counter = Int(try state.numbers("every-k.counter", count: 1)[0])
        func weights(_ key: String) -> [String: Float]? {
            let prefix = "every-k.\(key)."
            let entries = state.numbers.filter { $0.key.hasPrefix(prefix) }
            return entries.isEmpty ? nil : Dictionary(uniqueKeysWithValues: entries.map { (String($0.key.dropFirst(prefix.count)), Float($0.value[0])) })
        }
        encoderWeights = weights("encoder")
        decoderWeights = weights("decoder")
    }
}
