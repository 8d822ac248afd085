/// Runs a strategy on given per-task gradients, without a model: the playground behind
/// `tandem combine`, and the harness of the strategy property tests.
///
/// The problem is the linear surrogate whose gradients are exactly the given ones: shared
/// parameters θ ∈ R^P at 0, the encoder is the identity (z = θ, so J = I and gradients at z equal
/// gradients at θ), and task t's loss is L_t(z) = ℓ_t + g_t·z, with value ℓ_t and gradient g_t.
/// Lookahead losses are evaluated on the same surrogate; simulated steps use plain SGD at
/// `learningRate`.
public struct GradientCombinationProblem {
    public var gradients: [[Float]]
    public var losses: [Float]
    public var taskNames: [String]
    public var roles: [TaskRole]
    public var learningRate: Float
    public var step: Int

    public init(gradients: [[Float]], losses: [Float]? = nil, taskNames: [String]? = nil, roles: [TaskRole]? = nil,
                learningRate: Float = 0.1, step: Int = 0) {
        precondition(!gradients.isEmpty, "a combination problem needs at least one task gradient")
        let width = gradients[0].count
        precondition(gradients.allSatisfy { $0.count == width }, "all task gradients need the same length")
        self.gradients = gradients
        self.losses = losses ?? [Float](repeating: 1, count: gradients.count)
        precondition(self.losses.count == gradients.count, "one loss per task gradient")
        self.taskNames = taskNames ?? (0..<gradients.count).map { "task\($0)" }
        self.roles = roles ?? [TaskRole](repeating: .primary, count: gradients.count)
        self.learningRate = learningRate
        self.step = step
    }

    /// What the strategy made of the gradients.
    public struct Outcome {
        /// The gradient the shared parameters receive.
        public var direction: [Float]
        /// The decoder loss D.
        public var decoderLoss: Float
        /// ∂D/∂L_t of the decoder stage.
        public var decoderWeights: [String: Float]
        /// The encoder stage's loss weights, when it answered with weights.
        public var encoderWeights: [String: Float]?
        /// Gradients of the strategy's own parameters from the decoder loss.
        public var ownParameterGradients: Parameters
        public var reports: [String: Double]
    }

    /// Applies `strategy`'s decoder and encoder stages once (its state may change, as in training).
    public func combine(with strategy: any GradientCombiner) throws -> Outcome {
        let width = gradients[0].count
        let rows = gradients.map { Tensor(shape: [1, width], scalars: $0) }
        let tasks = zip(taskNames, roles).map { TaskSpec(name: $0, kind: .regression(outputs: 1), role: $1) }
        let theta = Tensor.zeros([width]).tracked()
        let z = theta.reshaped([1, width])
        let zLeaf = z.detached.tracked()
        var lossTensors: [String: Tensor] = [:]
        for (index, name) in taskNames.enumerated() {
            lossTensors[name] = dot(zLeaf, rows[index]) + losses[index]
        }
        func surrogateLosses(_ shift: Tensor) -> [String: Tensor] {
            var result: [String: Tensor] = [:]
            for (index, name) in taskNames.enumerated() { result[name] = dot(shift.reshaped([1, width]), rows[index]) + losses[index] }
            return result
        }
        let names = taskNames
        let engine = StepEngine(
            representation: zLeaf,
            representationGradients: { Dictionary(uniqueKeysWithValues: zip(names, rows)) },
            sharedGradients: { _ in Dictionary(uniqueKeysWithValues: zip(names, rows.map { Parameters([("shared.theta", $0.reshaped([width]))]) })) },
            encoderVJP: { seed, _ in Parameters([("shared.theta", seed.reshaped([width]))]) },
            losses: { substituted, _ in surrogateLosses(substituted.contains("shared.theta") ? substituted["shared.theta"] : Tensor.zeros([width])) },
            representationAt: { substituted, _ in (substituted.contains("shared.theta") ? substituted["shared.theta"] : Tensor.zeros([width])).reshaped([1, width]) },
            simulatedStep: { [learningRate] gradients in gradients.map { -$1 * learningRate } },
            parallelBatch: { nil },
            secondBatch: { nil })
        let context = StepContext(step: step, epoch: 0, tasks: tasks, losses: Dictionary(uniqueKeysWithValues: zip(names, losses)),
                                  learningRates: ["shared": learningRate, "heads": learningRate, "strategy": learningRate],
                                  parameters: Parameters([("shared.theta", theta.detached)]), engine: engine)
        let own = strategy.decoder.ownParameters.tracked()
        let decoderLoss = strategy.decoder.decoderLoss(lossTensors, ownParameters: own, context: context)
        let partials = grad(of: decoderLoss, wrt: names.map { lossTensors[$0]! } + own.tensorsInOrder, retainGraph: true)
        var decoderWeights: [String: Float] = [:]
        for (index, name) in names.enumerated() { decoderWeights[name] = partials[index].scalar }
        context.decoderWeights = decoderWeights
        let ownGradients = Parameters(zip(own.names, partials.dropFirst(names.count)).map { ($0, $1) })
        var encoderWeights: [String: Float]? = nil
        let direction: Tensor
        switch try strategy.encoder.encoderGradient(context) {
        case let .lossWeights(weights):
            encoderWeights = weights
            direction = zip(names, rows).map { $1 * (weights[$0] ?? 0) }.reduce(Tensor.zeros([1, width]), +)
        case let .representation(h):
            direction = h
        case let .sharedParameters(g):
            direction = g["shared.theta"]
        }
        return Outcome(direction: direction.scalars, decoderLoss: decoderLoss.scalar, decoderWeights: decoderWeights, encoderWeights: encoderWeights,
                       ownParameterGradients: ownGradients, reports: engine.reports)
    }
}
