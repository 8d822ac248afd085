import TandemCore

/// How a Gramian weighting's weights reach the heads.
public enum HeadWeighting: String, CaseIterable, Sendable {
    /// Head t gets w_t ∇_{θ_t} L_t (a backward of Σ_t w_t L_t, as the MGDA reference and Nash-MTL).
    case combinationWeights = "weighted"
    /// Head t gets its plain ∇_{θ_t} L_t (LibMTL's parameter-level methods, TorchJD).
    case unit
}

/// A strategy whose direction is d = Σ_t w_t v_t with weights from the Gram matrix
/// M_ij = v_i·v_j of the task gradients at one level (MGDA, IMTL-G, Nash-MTL, Aligned-MTL,
/// UPGrad, DualProj, FairGrad): write `weights(gram:losses:context:)`; the adaptor computes M,
/// and the trainer applies the weights in one combination pass.
public protocol GramianWeighting: GradientCombiner, DecoderStage, EncoderStage {
    var level: GradientLevel { get }
    var headWeighting: HeadWeighting { get }
    /// The gradients whose Gram matrix is taken (default: the task gradients at `level`).
    func taskGradients(_ context: StepContext) throws -> TaskGradients
    /// Their Gram matrix (default: at the shared parameters `StepContext.sharedParameterGram()`,
    /// which over several processes never gathers every g_t; else of `taskGradients`). A strategy
    /// that changes `taskGradients` at the shared parameters overrides this too.
    func gram(_ context: StepContext) throws -> [[Double]]
    /// w from M (T×T, the step's tasks in `context.taskNames` order) and the task losses.
    func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double]
    /// Per-step cache of the weights (decoder and encoder stage read them once).
    var weightCache: WeightCache { get }
}

/// Remembers one step's weights (keyed by the step context).
public final class WeightCache {
    var entry: (context: Int, weights: [String: Float])?
    public init() {}

    func weights(for context: StepContext, compute: () throws -> [String: Float]) rethrows -> [String: Float] {
        if let entry, entry.context == context.identifier { return entry.weights }
        let weights = try compute()
        entry = (context.identifier, weights)
        return weights
    }
}

extension GramianWeighting {
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { level.requirement }
    public func taskGradients(_ context: StepContext) throws -> TaskGradients { try level.gradients(context) }
    public func gram(_ context: StepContext) throws -> [[Double]] {
        level == .parameters ? try context.sharedParameterGram() : try taskGradients(context).gram()
    }

    /// This step's weights by task (computed once per step; reported as `weight.TASK`).
    public func stepWeights(_ context: StepContext) throws -> [String: Float] {
        try weightCache.weights(for: context) {
            let w = try weights(gram: try gram(context), losses: context.taskNames.map { Double(context.losses[$0]!) }, context: context)
            guard w.count == context.taskNames.count, w.allSatisfy(\.isFinite) else {
                throw StrategyContractError(strategy: name, problem: "gave weights \(w) for \(context.taskNames.count) tasks (one finite weight each)")
            }
            for (task, value) in zip(context.taskNames, w) { context.report("weight.\(task)", value) }
            return Dictionary(uniqueKeysWithValues: zip(context.taskNames, w.map(Float.init)))
        }
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        let w = headWeighting == .combinationWeights ? try stepWeights(context) : [:]
        return context.taskNames.map { losses[$0]! * (w[$0] ?? 1) }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient { .lossWeights(try stepWeights(context)) }
}
