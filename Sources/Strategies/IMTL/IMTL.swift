import TandemCore

/// Full IMTL (Liu et al., ICLR 2021), STRATEGIES.md §13b: IMTL-L's scaled losses
/// `e^{s_t} L_t − s_t` train the heads and the scales, and IMTL-G combines the gradients of the
/// scaled losses, `e^{s_t} g_t`, for the encoder: `d = Σ_t α_t e^{s_t} g_t` with α the IMTL-G
/// weights of those gradients. (LibMTL's `IMTL` is this hybrid.)
public final class IMTL: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "imtl", title: "IMTL (IMTL-L loss scaling + IMTL-G gradient weighting)",
        formula: "heads: ∇(e^{s_t}L_t − s_t); encoder: d = Σ_t α_t e^{s_t} g_t, α = IMTL-G of the e^{s_t} g_t",
        paper: "Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, \"Towards Impartial Multi-task Learning\", ICLR 2021",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: on θ_s (LibMTL); representation: at z (the paper's cheaper form)"),
        ],
        cost: "T encoder backwards (parameter level) + a T×T pseudo-inverse; the scales train with the strategy optimiser group",
        conventions: ["LibMTL's hybrid: IMTL-G acts on the gradients of the scaled losses; heads get e^{s_t}∇L_t"],
        behaviour: StrategyBehaviour())

    public let level: GradientLevel
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()
    public var ownParameters: Parameters

    public init(tasks: [TaskSpec], level: GradientLevel = .parameters) {
        self.level = level
        ownParameters = Parameters(tasks.map { ("logScale.\($0.name)", Tensor(shape: [1], scalars: [0])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, level: GradientLevel(rawValue: options.text("level")!)!)
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { name in
            let s = ownParameters["logScale.\(name)"].reshaped([])
            return losses[name]! * exp(s) - s
        }.reduce(Tensor(0), +)
    }

    /// The gradients of the scaled losses, e^{s_t} g_t (the decoder's weights).
    public func taskGradients(_ context: StepContext) throws -> TaskGradients {
        try level.gradients(context, rowWeights: context.decoderWeights)
    }
    public func gram(_ context: StepContext) throws -> [[Double]] { try taskGradients(context).gram() }

    /// α_t e^{s_t}: the weights on the raw task gradients.
    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let alpha = try IMTLGradientSolver.weights(gram: gram)
        return zip(alpha, context.taskNames).map { $0 * Double(context.decoderWeights[$1] ?? 1) }
    }
}
