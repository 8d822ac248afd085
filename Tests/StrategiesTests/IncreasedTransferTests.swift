import XCTest
@testable import TandemCore
import TandemStrategies

/// A model whose task losses are the quadratics of STRATEGIES.md §10:
/// `L_j(θ) = ½(θ−c_j)ᵀA_j(θ−c_j) + b_j` with θ = `shared.theta` ∈ R². Head j predicts three numbers
/// `[√1.5·R_j(θ−c_j), √(3b_j)]` (R_jᵀR_j = A_j, the upper Cholesky factor) against zero targets,
/// so the regression loss (their mean square) is exactly L_j. Heads have no parameters, or (with
/// `headScales`) a scalar `heads.j.scale` multiplying the prediction (the loss scales by its square).
struct QuadraticTransferenceModel: MultiTaskModel {
    static let a: [[[Double]]] = [[[1, 0], [0, 2]], [[2, 0.5], [0.5, 1]], [[0.5, 0], [0, 0.5]]]
    static let c: [[Double]] = [[1, 0], [0, 1], [-1, -1]]
    static let b: [Double] = [0.1, 0.2, 0.05]
    static let theta: [Float] = [0.3, -0.2]

    let taskNames = ["t1", "t2", "t3"]
    var headScales: [Float]? = nil

    /// The upper Cholesky factor of a symmetric positive definite 2×2 matrix.
    static func cholesky(_ m: [[Double]]) -> [[Double]] {
        let r00 = m[0][0].squareRoot(), r01 = m[0][1] / r00
        return [[r00, r01], [0, (m[1][1] - r01 * r01).squareRoot()]]
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = Parameters([("shared.theta", Tensor(shape: [2], scalars: QuadraticTransferenceModel.theta))])
        if let headScales { for (task, scale) in zip(taskNames, headScales) { p["heads.\(task).scale"] = Tensor(shape: [1], scalars: [scale]) } }
        return p
    }
    func initialBuffers() -> Parameters { Parameters() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor { context.parameters["shared.theta"].reshaped([1, 2]) }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        let j = taskNames.firstIndex(of: task)!
        let r = QuadraticTransferenceModel.cholesky(QuadraticTransferenceModel.a[j])
        let scale = 1.5.squareRoot()
        // (θ − c)·(√1.5·Rᵀ) gives √1.5·R(θ − c) as a row.
        let map = Tensor(shape: [2, 2], scalars: [r[0][0], r[1][0], r[0][1], r[1][1]].map { Float($0 * scale) })
        let shifted = representation - Tensor(shape: [1, 2], scalars: QuadraticTransferenceModel.c[j].map(Float.init))
        let constant = Tensor(shape: [1, 1], scalars: [Float((3 * QuadraticTransferenceModel.b[j]).squareRoot())])
        let prediction = concat([matmul(shifted, map), constant], axis: 1)
        guard headScales != nil else { return prediction }
        return prediction * context.parameters["heads.\(task).scale"].reshaped([1, 1])
    }
}

/// One batch, forever: zero targets for every task.
final class FixedBatchData: TrainingDataSource {
    let tasks: [String]
    let stepsPerEpoch = 1
    init(tasks: [String]) { self.tasks = tasks }
    func nextBatch(_ kind: BatchKind) -> Batch {
        Batch(input: Tensor.zeros([1, 1]), targets: Dictionary(uniqueKeysWithValues: tasks.map { ($0, Tensor.zeros([1, 3])) }))
    }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState() }
    func restoreState(_ state: StrategyState) throws {}
}

/// STRATEGIES.md §10 through the strategy and the real trainer: every vector of the section
/// (SGD, PyTorch-momentum and Adam lookaheads, first order and its cosine variant, IT-PCGrad, TAG
/// affinities) on the quadratic model, in Float (tolerance 1e-5 + 1e-4 relative: the vectors are
/// Double; Z is a difference of ratios near 1).
final class IncreasedTransferTests: XCTestCase {
    let tasks = ["t1", "t2", "t3"].map { TaskSpec(name: $0, kind: .regression(outputs: 3)) }
    let candidateNames = ["all", "t2+t3", "t1+t3", "t1+t2"]

    func trainer(_ strategy: any GradientCombiner, optimizer: any Optimizer = SGD(), learningRate: Float = 0.5,
                 model: QuadraticTransferenceModel = QuadraticTransferenceModel()) -> Trainer {
        Trainer(model: model, tasks: tasks, strategy: strategy,
                optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: optimizer, learningRate: learningRate)),
                configuration: TrainerConfiguration(steps: 10), data: FixedBatchData(tasks: tasks.map(\.name)), seed: 0)
    }

    func assertVector(_ actual: [Double], _ expected: [Double], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        assertClose(actual, expected, relative: 1e-4, absolute: 1e-5, message, file: file, line: line)
    }

    func reported(_ record: StepRecord, _ prefix: String, _ names: [String]) -> [Double] { names.map { record.reports[prefix + $0] ?? .nan } }
    func chosen(_ record: StepRecord) -> [String] { record.reports.filter { $0.key.hasPrefix("it.chosen.") && $0.value == 1 }.map { String($0.key.dropFirst(10)) } }

    func testModelLossesAreTheSpecQuadratics() throws {
        let t = trainer(EqualWeighting())
        let losses = t.losses(at: Parameters(), batch: t.data.nextBatch(.full))
        assertVector(tasks.map { Double(losses[$0.name]!.scalar) }, [0.385, 0.83, 0.6325], "L")
    }

    func testSGDLookaheadPicksOneThreeAndAppliesIt() throws {
        let t = trainer(IncreasedTransfer(inner: EqualWeighting()))
        let record = try t.trainStep()
        assertVector(reported(record, "it.Z.", candidateNames), [-0.103251, -0.335927, 0.0179511, -0.909023], "Z_ξ (SGD, η = 0.5)")
        XCTAssertEqual(chosen(record), ["t1+t3"])
        // The chosen g_{1,3} = [−0.05, 0] went through the real optimiser: θ⁺ = θ − 0.5·g.
        assertClose(t.parameters["shared.theta"].scalars, [0.325, -0.2], absolute: 1e-6, "θ after the step")
    }

    func testSmallLearningRateAndFirstOrderAgree() throws {
        let exact = try trainer(IncreasedTransfer(inner: EqualWeighting()), learningRate: 0.05).trainStep()
        assertVector(reported(exact, "it.Z.", candidateNames), [0.0797297, 0.0224128, 0.00195817, 0.124884], "Z_ξ (SGD, η = 0.05)")
        XCTAssertEqual(chosen(exact), ["t1+t2"])
        let firstOrder = try trainer(IncreasedTransfer(inner: EqualWeighting(), lookahead: .firstOrder), learningRate: 0.05).trainStep()
        assertVector(reported(firstOrder, "it.firstOrder.", candidateNames).map { 0.05 * $0 }, [0.0897358, 0.0286356, 0.00197628, 0.14886], "η × first order")
        XCTAssertEqual(chosen(firstOrder), ["t1+t2"])
    }

    func testFirstOrderAndCosineAtLargeStep() throws {
        let t = trainer(IncreasedTransfer(inner: EqualWeighting(), lookahead: .firstOrder))
        let record = try t.trainStep()
        assertVector(reported(record, "it.firstOrder.", candidateNames), [1.79472, 0.572713, 0.0395257, 2.97719], "first order")
        XCTAssertEqual(chosen(record), ["t1+t2"], "the Taylor rule disagrees with the lookahead at η = 0.5, as the spec intends")
        assertClose(t.parameters["shared.theta"].scalars, [0.65, 0.525], absolute: 1e-6, "θ − 0.5·g_{1,2}")
        let cosine = try trainer(IncreasedTransfer(inner: EqualWeighting(), lookahead: .firstOrder, firstOrderScore: .cosine)).trainStep()
        assertVector(reported(cosine, "it.firstOrder.", candidateNames), [0.923321, 0.336935, 0.427511, 0.999968], "cosine")
        XCTAssertEqual(chosen(cosine), ["t1+t2"])
    }

    func testMomentumLookaheadReadsTheBuffer() throws {
        let t = trainer(IncreasedTransfer(inner: EqualWeighting()), optimizer: SGD(momentum: 0.9))
        let buffer = Parameters([("shared.theta", Tensor(shape: [2], scalars: [0.1, -0.2]))])
        t.optimizerStates["shared"] = OptimizerState(step: 3, buffers: ["momentum": buffer])
        let record = try t.trainStep()
        assertVector(reported(record, "it.Z.", candidateNames), [-0.341265, -0.522275, 0.105439, -1.20387], "Z_ξ (momentum)")
        XCTAssertEqual(chosen(record), ["t1+t3"])
        // The real step then used the buffer once: buf' = 0.9·buf + g_{1,3}.
        assertClose(t.optimizerStates["shared"]!.buffers["momentum"]!["shared.theta"].scalars, [0.04, -0.18], absolute: 1e-6, "buffer")
    }

    func testAdamLookaheadReadsTheMoments() throws {
        let t = trainer(IncreasedTransfer(inner: EqualWeighting()), optimizer: Adam(), learningRate: 0.01)
        t.optimizerStates["shared"] = OptimizerState(step: 10, buffers: [
            "firstMoment": Parameters([("shared.theta", Tensor(shape: [2], scalars: [0.05, -0.02]))]),
            "secondMoment": Parameters([("shared.theta", Tensor(shape: [2], scalars: [0.01, 0.004]))]),
        ])
        let record = try t.trainStep()
        assertVector(reported(record, "it.Z.", candidateNames), [0.00388303, 0.00186409, 0.000241831, 0.0055764], "Z_ξ (Adam)")
        XCTAssertEqual(chosen(record), ["t1+t2"])
        XCTAssertEqual(t.optimizerStates["shared"]!.step, 11)
    }

    /// A PCGrad whose first random orders are the spec's ascending ones (found by trying seeds).
    func ascendingPCGrad() throws -> PCGrad {
        for seed in UInt64(0)..<500 {
            var generator = SeededGenerator(seed: seed)
            if PCGradProjection.randomOrders(taskCount: 3, using: &generator) == PCGradProjection.ascendingOrders(taskCount: 3) {
                return PCGrad(seed: seed)
            }
        }
        XCTFail("no seed below 500 draws the ascending orders")
        return PCGrad(seed: 0)
    }

    func testITPCGradKeepsThePlainSum() throws {
        let exact = try trainer(IncreasedTransfer(inner: try ascendingPCGrad(), candidates: .totalAndInner)).trainStep()
        assertVector(reported(exact, "it.Z.", ["all", "pcgrad"]), [-0.103251, -0.140962], "Z (IT-PCGrad)")
        XCTAssertEqual(chosen(exact), ["all"])
        let firstOrder = try trainer(IncreasedTransfer(inner: try ascendingPCGrad(), candidates: .totalAndInner, lookahead: .firstOrder)).trainStep()
        assertVector(reported(firstOrder, "it.firstOrder.", ["all", "pcgrad"]), [1.79472, 0.885868], "first order (IT-PCGrad)")
        XCTAssertEqual(chosen(firstOrder), ["all"])
    }

    func testITPCGradAppliesPCGradWhenItWins() throws {
        // With only {t2, t3} against PCGrad of all three, PCGrad wins and its exact output is applied.
        let t = trainer(IncreasedTransfer(inner: try ascendingPCGrad(), candidates: .subsets([["t2", "t3"]], includingInner: true)))
        let record = try t.trainStep()
        XCTAssertEqual(chosen(record), ["pcgrad"])
        assertClose(t.parameters["shared.theta"].scalars, [0.3 - 0.5 * 0.442628, -0.2 + 0.5 * 0.73927], absolute: 1e-5, "θ − 0.5·PCGrad(G)")
    }

    func testTAGAffinities() throws {
        let t = trainer(TransferenceProbe(inner: EqualWeighting(), every: 10, perLearningRate: true))
        let record = try t.trainStep()
        let names = ["t1", "t2", "t3"]
        let expected: [[Double]] = [[1.16234, 0.0783133, -1.10079], [-0.340909, 0.996235, -0.881917], [-2.07955, -0.887048, 0.80583]]
        for (i, source) in names.enumerated() {
            assertVector(names.map { record.reports[TransferenceProbe.key(source: source, target: $0)] ?? .nan }, expected[i], "Z_{\(source)→j}/η")
        }
        // Not measured at step 1 (every 10).
        XCTAssertTrue(try t.trainStep().reports.isEmpty)
        let affinity = try TaskAffinity(records: [record], tasks: names)
        assertVector(affinity.overall.flatMap { $0 }, expected.flatMap { $0 }, "over training")
        assertVector(affinity.normalisedBySelf.map { $0[0] }, expected.map { $0[0] / expected[0][0] }, "column t1 normalised")
    }

    func testProbeDoesNotChangeTraining() throws {
        let plain = trainer(PCGrad(seed: 3)), probed = trainer(TransferenceProbe(inner: PCGrad(seed: 3), every: 1))
        for _ in 0..<3 { _ = try plain.trainStep(); _ = try probed.trainStep() }
        XCTAssertEqual(plain.parameters["shared.theta"].scalars, probed.parameters["shared.theta"].scalars)
    }

    /// Algorithm 1 evaluates the lookahead with the heads already updated; "unchanged" keeps them.
    func testHeadsUpdatedFirstOrUnchanged() throws {
        let model = QuadraticTransferenceModel(headScales: [1, 0.9, 1.1])
        func z(_ heads: IncreasedTransfer.HeadsDuringLookahead) throws -> [Double] {
            reported(try trainer(IncreasedTransfer(inner: EqualWeighting(), heads: heads), learningRate: 0.05, model: model).trainStep(),
                     "it.Z.", candidateNames)
        }
        // By hand: L_j = s_j²·q_j(θ); head step s_j⁺ = s_j − η·2s_j q_j(θ); Z_ξ = Σ_j 1 − (s_j⁺/s_j)²·q_j(θ⁺)/q_j(θ).
        let q = [0.385, 0.83, 0.6325], s = [1.0, 0.9, 1.1], g: [[Double]] = [[-0.7, -0.4], [0, -1.05], [0.65, 0.4]]
        func quadratic(_ j: Int, _ t: [Double]) -> Double {
            let a = QuadraticTransferenceModel.a[j], c = QuadraticTransferenceModel.c[j]
            let d = [t[0] - c[0], t[1] - c[1]]
            return 0.5 * (d[0] * (a[0][0] * d[0] + a[0][1] * d[1]) + d[1] * (a[1][0] * d[0] + a[1][1] * d[1])) + QuadraticTransferenceModel.b[j]
        }
        let weights: [[Double]] = [[1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]]
        func expected(headsFirst: Bool) -> [Double] {
            weights.map { w in
                let direction = (0..<2).map { p in (0..<3).reduce(0.0) { $0 + w[$1] * s[$1] * s[$1] * g[$1][p] } }
                let stepped = [0.3 - 0.05 * direction[0], -0.2 - 0.05 * direction[1]]
                return (0..<3).reduce(0.0) { total, j in
                    let ratio = headsFirst ? (1 - 0.05 * 2 * q[j]) : 1
                    return total + 1 - ratio * ratio * quadratic(j, stepped) / q[j]
                }
            }
        }
        assertVector(try z(.updatedFirst), expected(headsFirst: true), "heads updated first")
        assertVector(try z(.unchanged), expected(headsFirst: false), "heads unchanged")
    }

    func testUnknownSubsetTasksAreSkippedPerBatchButCandidatesNeedLabels() {
        let set = TransferenceCandidateSet.subsets([["t1", "t2"], ["t2", "t1"], ["t9"]], includingInner: true)
        XCTAssertEqual(set.members(tasks: ["t1", "t2", "t3"], innerName: "pcgrad"),
                       [.subset(name: "t1+t2", tasks: ["t1", "t2"]), .inner(name: "pcgrad")])
        XCTAssertEqual(set.unknownTasks(among: ["t1", "t2", "t3"]), ["t9"])
        XCTAssertEqual(TransferenceCandidateSet.leaveOneOutAndAll.members(tasks: ["a", "b"], innerName: "ew").map(\.name), ["all", "b", "a"])
    }
}
