import Foundation
import Testing
@testable import TandemCore
import TandemStrategies

/// The quadratic (or log-quadratic) problem of STRATEGIES.md §7 through the real trainer: shared
/// θ ∈ R², z = θ, every head the identity, task t's target its centre c_t; the second batch
/// carries the validation centre of the primary task.
struct CentredLossModel: MultiTaskModel {
    let taskNames: [String]
    let start: [Float]
    func initialParameters(generator: inout SeededGenerator) -> Parameters { Parameters([("shared.theta", Tensor(shape: [2], scalars: start))]) }
    func initialBuffers() -> Parameters { Parameters() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor { context.parameters["shared.theta"].reshaped([1, 2]) }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor { representation }
}

/// The training batch and the "validation" (second) batch, alternately.
final class TrainThenValidationBatches: TrainingDataSource {
    let train: Batch, validation: Batch
    var calls = 0
    init(train: Batch, validation: Batch) { self.train = train; self.validation = validation }
    var stepsPerEpoch: Int { Int.max }
    func nextBatch(_ kind: BatchKind) -> Batch { defer { calls += 1 }; return calls % 2 == 0 ? train : validation }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState() }
    func restoreState(_ state: StrategyState) throws {}
}

extension PinnedVectors {
    static let centres: [[Float]] = [[1, 0], [0, 2], [-1, -1]]

    /// One Auto-λ step on §7's problem; returns the hypergradient (reported) and λ afterwards.
    static func autoLambdaStep(_ hypergradient: AutoLambda.Hypergradient, logLoss: Bool = false, momentumBuffer: [Float]? = nil,
                               weightDecay: Float = 0) throws -> (gradient: [Float], lambda: [Float]) {
        let names = ["t1", "t2", "t3"]
        let tasks = Spec.tasks(names, roles: [.primary, .auxiliary, .auxiliary])
        let strategy = try AutoLambda(tasks: tasks, mode: .auxiliary, hypergradient: hypergradient)
        func batch(_ targets: [[Float]]) -> Batch {
            Batch(input: Tensor.zeros([1, 1]), targets: Dictionary(uniqueKeysWithValues: zip(names, targets.map { Tensor(shape: [1, 2], scalars: $0) })))
        }
        let data = TrainThenValidationBatches(train: batch(centres), validation: batch([[1.2, -0.1], [0, 2], [-1, -1]]))
        let loss: TaskLoss = { _, prediction, target in
            let difference = prediction - target
            let squared = (difference * difference).sum()
            return logLoss ? log(squared + 1) : squared * 0.5
        }
        let network = OptimizerSetting(optimizer: SGD(momentum: momentumBuffer == nil ? 0 : 0.9, weightDecay: weightDecay), learningRate: 0.1)
        let trainer = Trainer(model: CentredLossModel(taskNames: names, start: [0.5, 0.5]), tasks: tasks, strategy: strategy,
                              optimizers: OptimizerGroups(shared: network, strategy: OptimizerSetting(optimizer: Adam(), learningRate: 1e-4)),
                              configuration: TrainerConfiguration(steps: 1), data: data, taskLoss: loss, seed: 0)
        if let momentumBuffer {
            trainer.optimizerStates["shared"]!.buffers["momentum"] = Parameters([("shared.theta", Tensor(shape: [2], scalars: momentumBuffer))])
        }
        let record = try trainer.trainStep()
        return (names.map { Float(record.reports["hypergradient.\($0)"] ?? .nan) }, names.map(strategy.lambda))
    }

    /// STRATEGIES.md §7.
    static let autoLambda: [PinnedVector] = [
        PinnedVector("auto-lambda", "§7 quadratic, no momentum: grad_λ = [−0.0655, 0.125, 0.018] both ways; Adam ⇒ λ = [0.1001, 0.0999, 0.0999]") {
            for mode in AutoLambda.Hypergradient.allCases {
                let (gradient, lambda) = try autoLambdaStep(mode)
                expectClose(gradient, [-0.0655, 0.125, 0.018], tolerance: 1e-4, "grad_λ (\(mode))")
                expectClose(lambda, [0.1001, 0.0999, 0.0999], tolerance: 1e-6, "λ after Adam 1e-4 (\(mode))")
            }
        },
        PinnedVector("auto-lambda", "§7 quadratic with momentum buffer [0.2, −0.1], μ = 0.9, wd = 1e-4") {
            for mode in AutoLambda.Hypergradient.allCases {
                let (gradient, _) = try autoLambdaStep(mode, momentumBuffer: [0.2, -0.1], weightDecay: 1e-4)
                expectClose(gradient, [-0.06685, 0.127249, 0.0193515], tolerance: 1e-4, "grad_λ (\(mode))")
            }
        },
        PinnedVector("auto-lambda", "§7 log(1 + ‖θ − c‖²): finite difference and exact hypergradients, each its own numbers") {
            let (fd, _) = try autoLambdaStep(.finiteDifference, logLoss: true)
            expectClose(fd, [-0.0936512, 0.0770221, 0.00620954], tolerance: 2e-4, "finite difference")
            let (exact, _) = try autoLambdaStep(.exact, logLoss: true)
            expectClose(exact, [-0.0936547, 0.0770228, 0.00620965], tolerance: 1e-5, "exact")
        },
        PinnedVector("auto-lambda", "combined with PCGrad: the encoder gets PCGrad of λ_t g_t, the heads λ_t") {
            let names = ["t0", "t1"]
            let strategy = try AutoLambda(tasks: Spec.tasks(names), inner: PCGrad())
            #expect(strategy.encoder is PCGrad)
            #expect(strategy.declaredRequirements.contains(.sharedParameterGradients) && strategy.declaredRequirements.contains(.secondBatch))
            // On the surrogate the second batch is the same batch; the reports give this step's λ.
            let outcome = try Spec.combine(strategy, Spec.g2, names: names)
            let lambda = names.map { Float(outcome.reports["lambda.\($0)"] ?? .nan) }
            expectClose(values(outcome.decoderWeights, names, "heads"), lambda.map(Double.init), "heads get λ")
            let scaled = try TaskGradientMatrix(rows: zip(Spec.g2, lambda).map { row, l in row.map { $0 * l } })
            let expected = try scaled.combine(weights: PCGradProjection.directionWeights(gram: scaled.gram(), orders: PCGradProjection.ascendingOrders(taskCount: 2)))
            expectClose(outcome.direction, expected.map(Double.init), "PCGrad(λ ⊙ G)")
        },
    ]
}
