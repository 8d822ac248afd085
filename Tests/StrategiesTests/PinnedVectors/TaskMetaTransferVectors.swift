import Testing
import TandemCore
import TandemStrategies

/// The §11 linear encoder O_b = W x_b as a multi-task model: the primary head P O (a parameter),
/// the auxiliary head the identity scaled by √(3/2), so the framework's mean-squared-error loss
/// (a mean over B×D) equals the spec's ½·mean_b‖·‖² for both tasks.
final class LinearEncoderModel: MultiTaskModel {
    static let auxiliaryScale = Float(1.5).squareRoot()
    let taskNames = ["primary", "aux"]
    let weights = Tensor(shape: [3, 2], scalars: [0.2, -0.1, 0.4, 0.3, -0.3, 0.1])
    let projection = Tensor(shape: [2, 3], scalars: [1, 0.5, -1, 0, 1, 2])

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        Parameters([("shared.W", weights), ("heads.primary.P", projection)])
    }
    func initialBuffers() -> Parameters { Parameters() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        matmul(input, context.parameters["shared.W"], transposeB: true)
    }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        task == "primary" ? matmul(representation, context.parameters["heads.primary.P"], transposeB: true)
            : representation * LinearEncoderModel.auxiliaryScale
    }
}

/// The §11 batch, every step (the parallel set is the whole batch).
final class VectorData: TrainingDataSource {
    let stepsPerEpoch = 1
    let batch = Batch(input: Tensor(shape: [2, 2], scalars: [1, 0.5, -0.5, 2]), targets: [
        "primary": Tensor(shape: [2, 2], scalars: [0.3, -0.2, 1, 0.5]),
        "aux": Tensor(shape: [2, 3], scalars: [0.5, 0, -0.5, 1, 1, 0]) * LinearEncoderModel.auxiliaryScale,
    ])
    func nextBatch(_ kind: BatchKind) -> Batch {
        kind == .auxiliaryOnly ? Batch(input: batch.input, targets: ["aux": batch.targets["aux"]!]) : batch
    }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState() }
    func restoreState(_ state: StrategyState) throws {}
}

/// The §11 vector as one TMT meta step through the real trainer: φ = (λ = 1, U = [0.1, −0.2, 0.3]),
/// α = 0.1, SGD(β = 0.5) on φ and SGD(0.1) on the network.
enum TMTVector {
    static let tasks = [TaskSpec(name: "primary", kind: .regression(outputs: 2), role: .primary),
                        TaskSpec(name: "aux", kind: .regression(outputs: 3), role: .auxiliary)]
    static let thetaPlus: [[Double]] = [[0.185588, 0.037975], [0.356325, 0.3478], [-0.301987, 0.056425]]

    static func strategy(_ metaGradient: TaskMetaTransfer.MetaGradient, _ primary: TaskMetaTransfer.PrimaryGradient = .firstOrder) throws -> TaskMetaTransfer {
        let phi = GradientProjection(diagonal: Tensor(shape: [3], scalars: [1, 1, 1]), lowRank: Tensor(shape: [3, 1], scalars: [0.1, -0.2, 0.3]))
        return try TaskMetaTransfer(tasks: tasks, rank: 1, innerStep: 0.1, metaGradient: metaGradient, primaryGradient: primary,
                                    initialProjections: ["aux": phi])
    }

    static func trainer(_ strategy: TaskMetaTransfer, every k: Int = 1) -> Trainer {
        let groups = OptimizerGroups(shared: OptimizerSetting(optimizer: SGD(), learningRate: 0.1),
                                     strategy: OptimizerSetting(optimizer: SGD(), learningRate: 0.5))
        return Trainer(model: LinearEncoderModel(), tasks: tasks, strategy: strategy, optimizers: groups,
                       configuration: TrainerConfiguration(steps: 1, labelSchedule: .alternating(every: k)), data: VectorData(), seed: 0)
    }

    /// v = ∇_W L_P(Θ⁺) and ∇_P L_P(Θ⁺), computed here in Double from the spec's Θ⁺.
    static func primaryGradientsAtThetaPlus() -> (w: [Double], p: [Double]) {
        let x: [[Double]] = [[1, 0.5], [-0.5, 2]], p: [[Double]] = [[0.3, -0.2], [1, 0.5]]
        let projection: [[Double]] = [[1, 0.5, -1], [0, 1, 2]]
        var gw = [Double](repeating: 0, count: 6), gp = [Double](repeating: 0, count: 6)
        for b in 0..<2 {
            let o = (0..<3).map { c in thetaPlus[c][0] * x[b][0] + thetaPlus[c][1] * x[b][1] }
            let r = (0..<2).map { i in (0..<3).reduce(0.0) { $0 + projection[i][$1] * o[$1] } - p[b][i] }
            for c in 0..<3 {
                let back = (0..<2).reduce(0.0) { $0 + projection[$1][c] * r[$1] }
                for d in 0..<2 { gw[c * 2 + d] += back * x[b][d] / 2 }
            }
            for i in 0..<2 { for c in 0..<3 { gp[i * 3 + c] += r[i] * o[c] / 2 } }
        }
        return (gw, gp)
    }

    static func checkMetaStep(_ metaGradient: TaskMetaTransfer.MetaGradient, _ primary: TaskMetaTransfer.PrimaryGradient = .firstOrder) throws {
        let strategy = try strategy(metaGradient, primary)
        let trainer = trainer(strategy)
        let record = try trainer.trainStep()
        let phi = strategy.projections["aux"]!
        let label = "\(metaGradient.rawValue) ∇_φ, \(primary.rawValue) primary"
        expectClose(phi.diagonal.scalars, [1.06679, 1.00099, 1.0421], tolerance: 2e-5, "λ after SGD(0.5), \(label)")
        expectClose(phi.lowRank.scalars, [0.0585022, -0.215255, 0.319984], tolerance: 2e-5, "U after SGD(0.5), \(label)")
        expectClose(Float(record.reports["metaLoss.before"] ?? .nan), 0.666406, tolerance: 2e-6, "L_P(Θ), \(label)")
        expectClose(Float(record.reports["metaLoss.after"] ?? .nan), 0.392903, tolerance: 2e-6, "L_P(Θ⁺), \(label)")
        #expect(strategy.metaSteps == 1)
        if primary == .firstOrder {
            // W ← W − 0.1(Jᵀ f_φ(g_A) + ∇L_P(Θ⁺)) = Θ⁺ − 0.1 v;  P ← P − 0.1 ∇_P L_P(Θ⁺).
            let (v, gp) = primaryGradientsAtThetaPlus()
            expectClose(trainer.parameters["shared.W"].scalars, (0..<6).map { thetaPlus[$0 / 2][$0 % 2] - 0.1 * v[$0] }, tolerance: 2e-5, "W, \(label)")
            let p0: [Double] = [1, 0.5, -1, 0, 1, 2]
            expectClose(trainer.parameters["heads.primary.P"].scalars, (0..<6).map { p0[$0] - 0.1 * gp[$0] }, tolerance: 2e-5, "P, \(label)")
        }
    }
}

extension PinnedVectors {
    /// STRATEGIES.md §11 through the strategy on the linear encoder O = W x.
    static let taskMetaTransfer: [PinnedVector] = [
        PinnedVector("tmt", "§11 φ after one meta step, exact ∇_φ; L_P(Θ), L_P(Θ⁺); W, P after the first-order step") {
            try TMTVector.checkMetaStep(.exact)
        },
        PinnedVector("tmt", "§11 the same with the finite-difference JVP (exact for a linear encoder)") {
            try TMTVector.checkMetaStep(.finiteDifference)
        },
        PinnedVector("tmt", "§11 the exact primary mode takes the same ∇_φ from its own second-order backward") {
            try TMTVector.checkMetaStep(.exact, .exact)
        },
        PinnedVector("tmt", "§11 the auxiliary step: W ← Θ⁺ (α = learning rate), P and φ untouched") {
            let strategy = try TMTVector.strategy(.exact)
            let trainer = TMTVector.trainer(strategy, every: 2)
            _ = try trainer.trainStep()
            expectClose(trainer.parameters["shared.W"].scalars, TMTVector.thetaPlus.flatMap { $0 }, tolerance: 2e-5, "W after the auxiliary step")
            #expect(trainer.parameters["heads.primary.P"].scalars == LinearEncoderModel().projection.scalars)
            #expect(strategy.projections["aux"]!.lowRank.scalars == [0.1, -0.2, 0.3])
            #expect(strategy.metaSteps == 0)
        },
    ]
}
