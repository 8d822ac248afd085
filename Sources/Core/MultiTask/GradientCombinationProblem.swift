/// Runs a strategy on given per-task gradients, without a real model: the playground behind
/// `tandem combine`, and the harness of the strategy tests. It runs the trainer's own step
/// (`Trainer.runStep`), so what is tested is what trains.
///
/// The problem is the linear surrogate whose gradients are exactly the given ones: shared
/// parameters θ ∈ R^P at 0, the encoder is the identity (z = θ, so J = I and gradients at z equal
/// gradients at θ), heads have no parameters, and task t's loss is L_t(z) = ℓ_t + g_t·z, with value
/// ℓ_t and gradient g_t. Lookahead losses are evaluated on the same surrogate; every parameter
/// group steps with plain SGD at `learningRate`, the strategy's own and meta-parameters at
/// `strategyLearningRate` (default: the same).
public struct GradientCombinationProblem {
    public var gradients: [[Float]]
    public var losses: [Float]
    public var taskNames: [String]
    public var roles: [TaskRole]
    public var learningRate: Float
    public var strategyLearningRate: Float?
    public var step: Int

    public init(gradients: [[Float]], losses: [Float]? = nil, taskNames: [String]? = nil, roles: [TaskRole]? = nil,
                learningRate: Float = 0.1, strategyLearningRate: Float? = nil, step: Int = 0) throws {
        guard let width = gradients.first?.count, width > 0 else {
            throw TrainingError("a combination problem needs at least one task gradient with at least one value")
        }
        if let row = gradients.firstIndex(where: { $0.count != width }) {
            throw TrainingError("task gradient \(row) has \(gradients[row].count) values, the first has \(width); all need the same length")
        }
        self.gradients = gradients
        self.losses = losses ?? [Float](repeating: 1, count: gradients.count)
        self.taskNames = taskNames ?? (0..<gradients.count).map { "task\($0)" }
        self.roles = roles ?? [TaskRole](repeating: .primary, count: gradients.count)
        guard self.losses.count == gradients.count, self.taskNames.count == gradients.count, self.roles.count == gradients.count else {
            throw TrainingError("a combination problem needs one loss, name and role per task gradient (\(gradients.count) gradients, \(self.losses.count) losses, \(self.taskNames.count) names, \(self.roles.count) roles)")
        }
        guard Set(self.taskNames).count == self.taskNames.count else { throw TrainingError("task names repeat: \(self.taskNames)") }
        self.learningRate = learningRate
        self.strategyLearningRate = strategyLearningRate
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
        /// The task losses after the SGD step on the surrogate (ℓ_t − lr·g_t·d).
        public var lossesAfterUpdate: [String: Float]
    }

    /// Applies one training step of `strategy` (its state, own and meta-parameters change, as in training).
    public func combine(with strategy: any GradientCombiner) throws -> Outcome {
        let tasks = zip(taskNames, roles).map { TaskSpec(name: $0, kind: .regression(outputs: 1), role: $1) }
        let model = LinearSurrogateModel(gradients: Dictionary(uniqueKeysWithValues: zip(taskNames, gradients)),
                                         losses: Dictionary(uniqueKeysWithValues: zip(taskNames, losses)), taskNames: taskNames)
        let sgd = OptimizerSetting(optimizer: SGD(), learningRate: learningRate)
        let strategySGD = OptimizerSetting(optimizer: SGD(), learningRate: strategyLearningRate ?? learningRate)
        let trainer = Trainer(model: model, tasks: tasks, strategy: strategy,
                              optimizers: OptimizerGroups(shared: sgd, heads: sgd, strategy: strategySGD),
                              configuration: TrainerConfiguration(steps: step + 1), data: SurrogateData(tasks: taskNames),
                              taskLoss: { _, prediction, _ in prediction }, seed: 0)
        trainer.step = step
        let outcome = try trainer.runStep()
        let direction = outcome.sharedGradients[LinearSurrogateModel.parameterName]
        let after = Tape.withoutRecording { trainer.losses(at: Parameters(), batch: SurrogateData.batch(taskNames)).mapValues { $0.scalar } }
        return Outcome(direction: direction.scalars, decoderLoss: outcome.decoderLoss,
                       decoderWeights: outcome.record.decoderWeights.mapValues(Float.init),
                       encoderWeights: outcome.record.encoderWeights?.mapValues(Float.init),
                       ownParameterGradients: outcome.ownParameterGradients, reports: outcome.record.reports, lossesAfterUpdate: after)
    }
}

/// The surrogate of `GradientCombinationProblem`: z = θ, prediction (= loss) of task t: ℓ_t + g_t·z.
struct LinearSurrogateModel: MultiTaskModel {
    static let parameterName = "shared.theta"
    let gradients: [String: [Float]]
    let losses: [String: Float]
    let taskNames: [String]

    var width: Int { gradients.values.first!.count }

    func initialParameters(generator: inout SeededGenerator) -> Parameters { Parameters([(Self.parameterName, Tensor.zeros([width]))]) }
    func initialBuffers() -> Parameters { Parameters() }

    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        context.parameters[Self.parameterName].reshaped([1, width])
    }

    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        dot(representation, Tensor(shape: [1, width], scalars: gradients[task]!)) + losses[task]!
    }
}

/// One fixed batch labelling every task, forever; epochs never end (strategies see epoch ends only
/// when a test calls `notifyEpochEnded`).
final class SurrogateData: TrainingDataSource {
    let tasks: [String]
    init(tasks: [String]) { self.tasks = tasks }

    static func batch(_ tasks: [String]) -> Batch {
        Batch(input: Tensor.zeros([1, 1]), targets: Dictionary(uniqueKeysWithValues: tasks.map { ($0, Tensor.zeros([1])) }))
    }

    var stepsPerEpoch: Int { Int.max }
    func nextBatch(_ kind: BatchKind) -> Batch { SurrogateData.batch(tasks) }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState() }
    func restoreState(_ state: StrategyState) throws {}
}
