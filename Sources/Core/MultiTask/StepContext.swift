/// What a strategy can see and ask for during one training step.
///
/// The trainer builds one context per step. Expensive quantities are computed on first request
/// and cached, so the trainer does exactly the work the strategy asks for — and only what the
/// strategy declared in its `requirements` (anything else is a `StrategyContractError`):
/// * `representationGradients()` — h_t = ∂L_t/∂z for every task (T head backwards);
/// * `sharedParameterGradients()` — g_t = ∇_{θ_s} L_t (T encoder backwards on top of h_t);
/// * `losses(at:batch:)` — task losses with substituted parameters (a lookahead forward pass);
/// * `simulatedStep(gradients:)` — the parameters the real optimisers would produce, without
///   touching their state;
/// * `parallelBatch()` / `secondBatch()` — more data from the trainer's samplers;
/// * `stepMetaParameters(_:gradients:)` — one step of the strategy's meta-parameters with the
///   recipe's `strategy_optimizer` group;
/// * `lossesAfterUpdate()` — in `stepFinished`, the step's batch losses at the updated parameters.
public final class StepContext {
    nonisolated(unsafe) private static var created = 0
    /// Unique for every context ever made (a cache key for per-step work; step numbers can repeat,
    /// e.g. across the combination harness's calls).
    public let identifier: Int
    /// 0-based index of this training step, and of the epoch it belongs to.
    public let step: Int
    public let epoch: Int
    /// The tasks labelled in this batch, in the model's order.
    public let tasks: [TaskSpec]
    /// Their losses on this batch.
    public let losses: [String: Float]
    /// The learning rate of each parameter group (`shared`, `heads`, `strategy`) at this step.
    public let learningRates: [String: Float]
    /// The parameters the step started from (shared and heads).
    public let parameters: Parameters
    /// The strategy this step runs (named in errors), and what it declared it needs.
    public let strategyName: String
    public let requirements: CombinerRequirements
    /// ∂D/∂L_t of the decoder stage: the weight each task's loss has in the decoder loss.
    /// Set by the trainer after the decoder stage ran.
    public internal(set) var decoderWeights: [String: Float] = [:]
    /// Which labels this step's batch carries (full, auxiliary-only, or from the parallel set).
    public internal(set) var batchKind: BatchKind = .full

    let engine: StepEngine

    init(step: Int, epoch: Int, tasks: [TaskSpec], losses: [String: Float], learningRates: [String: Float],
         parameters: Parameters, strategyName: String, requirements: CombinerRequirements, engine: StepEngine) {
        StepContext.created += 1
        identifier = StepContext.created
        self.step = step
        self.epoch = epoch
        self.tasks = tasks
        self.losses = losses
        self.learningRates = learningRates
        self.parameters = parameters
        self.strategyName = strategyName
        self.requirements = requirements
        self.engine = engine
    }

    public var taskNames: [String] { tasks.map(\.name) }
    public var primaryTasks: [String] { tasks.filter { $0.role == .primary }.map(\.name) }
    public var auxiliaryTasks: [String] { tasks.filter { $0.role == .auxiliary }.map(\.name) }

    func require(_ requirement: CombinerRequirements, _ name: String, for quantity: String) throws {
        guard requirements.contains(requirement) else { throw StrategyContractError.undeclared(strategyName, quantity, requirement: name) }
    }

    /// The shared representation z of this batch (a constant).
    public var representation: Tensor { engine.representation.detached }

    /// h_t = ∂L_t/∂z for each task (unweighted by the decoder stage).
    public func representationGradients() throws -> [String: Tensor] {
        try require(.representationGradients, "representationGradients", for: "per-task gradients at z")
        return engine.representationGradients()
    }

    /// g_t = ∇_{θ_s} L_t for each task (unweighted), over all shared parameters.
    public func sharedParameterGradients() throws -> [String: Parameters] {
        try require(.sharedParameterGradients, "sharedParameterGradients", for: "per-task gradients at the shared parameters")
        return engine.sharedParameterGradients()
    }

    /// M_ij = g_i·g_j of the per-task gradients at the shared parameters (tasks in `taskNames`
    /// order; Double products accumulated tensor by tensor, `GramMatrix`). Over several processes
    /// no rank gathers every g_t for it: each folds and multiplies its share of the tensors, and
    /// only the products and the combined gradient are exchanged (docs/distributed.md).
    public func sharedParameterGram() throws -> [[Double]] {
        try require(.sharedParameterGradients, "sharedParameterGradients", for: "the Gram matrix of the per-task gradients at the shared parameters")
        return engine.sharedParameterGram()
    }

    /// ∇_{θ_t} L_t: each task's gradient for its own head parameters (unweighted; the trainer
    /// trains head t with ∂D/∂L_t times this). Computed together with the gradients at z, so it
    /// needs per-task gradients declared (at z or at the shared parameters).
    public func headGradients() throws -> [String: Parameters] {
        guard !requirements.intersection([.representationGradients, .sharedParameterGradients]).isEmpty else {
            throw StrategyContractError.undeclared(strategyName, "per-task head gradients", requirement: "representationGradients")
        }
        return engine.headGradients()
    }

    /// ∇ L_t with respect to only the shared parameters named in `names` (e.g. GradNorm's last
    /// shared layer); cheaper than all of them since the backward stops there.
    public func sharedParameterGradients(restrictedTo names: [String]) throws -> [String: Parameters] {
        try require(.sharedParameterGradients, "sharedParameterGradients", for: "per-task gradients at shared parameters")
        return engine.sharedParameterGradients(restrictedTo: names)
    }

    /// Jᵀ·seed: backpropagates a gradient at z through the encoder to the shared parameters.
    /// With `createGraph` the result is differentiable in `seed` (TMT's Θ⁺(φ)).
    public func encoderVectorJacobianProduct(_ seed: Tensor, createGraph: Bool = false) throws -> Parameters {
        if createGraph { try require(.secondOrderGradients, "secondOrderGradients", for: "a differentiable encoder vector-Jacobian product") }
        return engine.encoderVJP(seed, createGraph: createGraph)
    }

    /// Task losses of `batch` (default: this step's batch) with the model run at `parameters`
    /// (any subset of shared and head parameters; the rest stay at this step's values). Runs in
    /// training mode without touching batch-norm statistics. The results are differentiable in
    /// the given parameters when they are tracked.
    public func losses(at parameters: Parameters, batch: Batch? = nil) throws -> [String: Tensor] {
        try require(.extraForwardPasses, "extraForwardPasses", for: "losses at other parameters")
        return engine.losses(at: parameters, batch: batch)
    }

    /// The shared representation of `batch` (default: this step's) at `parameters`, differentiable.
    public func representation(at parameters: Parameters, batch: Batch? = nil) throws -> Tensor {
        try require(.extraForwardPasses, "extraForwardPasses", for: "the representation at other parameters")
        return engine.representation(at: parameters, batch: batch)
    }

    /// Task losses of the heads, at this step's head parameters, on a given representation `z`
    /// (e.g. one from `representation(at:)`), for the tasks `batch` (default: this step's)
    /// labels. Differentiable in `z`: gradients at z that stay differentiable in the encoder's
    /// parameters (TMT's exact derivative through Θ⁺(Θ)).
    public func headLosses(at representation: Tensor, batch: Batch? = nil) throws -> [String: Tensor] {
        try require(.extraForwardPasses, "extraForwardPasses", for: "head losses on another representation")
        guard let compute = engine.computeHeadLosses else {
            throw StrategyContractError(strategy: strategyName, problem: "this step context cannot run the heads on another representation")
        }
        return compute(representation, batch)
    }

    /// The parameters the real optimisers would produce from `gradients` (shared and/or head
    /// parameters), read from — never written to — their current state.
    public func simulatedStep(gradients: Parameters) -> Parameters { engine.simulatedStep(gradients) }

    /// A batch from the parallel-labelled set (TMT); an error when the run has none.
    public func parallelBatch() throws -> Batch {
        try require(.parallelMetaSteps, "parallelMetaSteps", for: "a parallel-labelled batch")
        guard let batch = engine.drawParallelBatch() else {
            throw StrategyContractError(strategy: strategyName, problem: "needs a parallel-labelled set, but this run has none (set `labels.parallel_fraction`)")
        }
        return batch
    }

    /// A second, independently drawn training batch (Auto-λ's "validation" batch).
    public func secondBatch() throws -> Batch {
        try require(.secondBatch, "secondBatch", for: "a second batch")
        guard let batch = engine.drawSecondBatch() else {
            throw StrategyContractError(strategy: strategyName, problem: "needs a second training batch, but this run cannot draw one")
        }
        return batch
    }

    /// One step of meta-parameters `current` along `gradients` with the strategy optimiser group
    /// (its state kept by the trainer and checkpointed); the caller stores the result.
    public func stepMetaParameters(_ current: Parameters, gradients: Parameters) throws -> Parameters {
        guard Set(gradients.names).isSubset(of: Set(current.names)) else {
            throw StrategyContractError(strategy: strategyName, problem: "meta-parameter gradients name \(gradients.names) but the parameters are \(current.names)")
        }
        return engine.stepMetaParameters(current, gradients)
    }

    /// The task losses of this step's batch at the parameters after the update (one forward pass
    /// without a graph). Only in `stepFinished`.
    public func lossesAfterUpdate() throws -> [String: Float] {
        try require(.lossesAfterUpdate, "lossesAfterUpdate", for: "the losses after the update")
        guard let losses = engine.lossesAfterUpdate?() else {
            throw StrategyContractError(strategy: strategyName, problem: "asked for the losses after the update before the update (only in stepFinished)")
        }
        return losses
    }

    /// Extra numbers a strategy wants in the step record (task weights, norms, chosen candidate).
    public func report(_ key: String, _ value: Double) { engine.reports[key] = value }
}

/// The trainer's side of a step context: closures over the step's graph and samplers.
final class StepEngine {
    var representation: Tensor
    var reports: [String: Double] = [:]
    private let computeRepresentationGradients: () -> [String: Tensor]
    private let computeHeadGradients: () -> [String: Parameters]
    private let computeSharedGradients: ([String]?) -> [String: Parameters]
    private let computeEncoderVJP: (Tensor, Bool) -> Parameters
    private let computeLosses: (Parameters, Batch?) -> [String: Tensor]
    private let computeRepresentation: (Parameters, Batch?) -> Tensor
    private let computeSimulatedStep: (Parameters) -> Parameters
    let stepMetaParameters: (Parameters, Parameters) -> Parameters
    let drawParallelBatch: () -> Batch?
    /// The heads at this step's parameters on a given z (`StepContext.headLosses(at:batch:)`).
    var computeHeadLosses: ((Tensor, Batch?) -> [String: Tensor])?
    let drawSecondBatch: () -> Batch?
    /// Set by the trainer once the parameters are updated.
    var lossesAfterUpdate: (() -> [String: Float])?
    /// The Gram matrix of the per-task gradients at θ_s (set by the trainer).
    var computeSharedGram: (() -> [[Double]])?
    private var cachedSharedGram: [[Double]]?
    private(set) var cachedRepresentationGradients: [String: Tensor]?
    private(set) var cachedSharedGradients: [String: Parameters]?

    init(representation: Tensor,
         representationGradients: @escaping () -> [String: Tensor],
         headGradients: @escaping () -> [String: Parameters],
         sharedGradients: @escaping ([String]?) -> [String: Parameters],
         encoderVJP: @escaping (Tensor, Bool) -> Parameters,
         losses: @escaping (Parameters, Batch?) -> [String: Tensor],
         representationAt: @escaping (Parameters, Batch?) -> Tensor,
         simulatedStep: @escaping (Parameters) -> Parameters,
         stepMetaParameters: @escaping (Parameters, Parameters) -> Parameters,
         parallelBatch: @escaping () -> Batch?,
         secondBatch: @escaping () -> Batch?) {
        self.representation = representation
        computeRepresentationGradients = representationGradients
        computeHeadGradients = headGradients
        computeSharedGradients = sharedGradients
        computeEncoderVJP = encoderVJP
        computeLosses = losses
        computeRepresentation = representationAt
        computeSimulatedStep = simulatedStep
        self.stepMetaParameters = stepMetaParameters
        drawParallelBatch = parallelBatch
        drawSecondBatch = secondBatch
    }

    func representationGradients() -> [String: Tensor] {
        if let cached = cachedRepresentationGradients { return cached }
        let result = computeRepresentationGradients()
        cachedRepresentationGradients = result
        return result
    }

    func headGradients() -> [String: Parameters] {
        _ = representationGradients()
        return computeHeadGradients()
    }

    func sharedParameterGradients() -> [String: Parameters] {
        if let cached = cachedSharedGradients { return cached }
        let result = computeSharedGradients(nil)
        cachedSharedGradients = result
        return result
    }

    func sharedParameterGradients(restrictedTo names: [String]) -> [String: Parameters] {
        if let cached = cachedSharedGradients { return cached.mapValues { $0.filter { names.contains($0) } } }
        return computeSharedGradients(names)
    }

    func sharedParameterGram() -> [[Double]] {
        if let cachedSharedGram { return cachedSharedGram }
        let gram = computeSharedGram!()
        cachedSharedGram = gram
        return gram
    }

    func encoderVJP(_ seed: Tensor, createGraph: Bool) -> Parameters { computeEncoderVJP(seed, createGraph) }
    func losses(at parameters: Parameters, batch: Batch?) -> [String: Tensor] { computeLosses(parameters, batch) }
    func representation(at parameters: Parameters, batch: Batch?) -> Tensor { computeRepresentation(parameters, batch) }
    func simulatedStep(_ gradients: Parameters) -> Parameters { computeSimulatedStep(gradients) }
}
