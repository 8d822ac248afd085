import XCTest
import TandemStrategies

/// STRATEGIES.md §10: IT-MTL transference, lookahead optimisers, first-order scores, IT-PCGrad and
/// TAG affinities on the quadratic losses `L_j(θ) = ½(θ−c_j)ᵀA_j(θ−c_j) + b_j`.
final class TransferenceMathTests: XCTestCase {
    let a: [[[Double]]] = [[[1, 0], [0, 2]], [[2, 0.5], [0.5, 1]], [[0.5, 0], [0, 0.5]]]
    let c: [[Double]] = [[1, 0], [0, 1], [-1, -1]]
    let b: [Double] = [0.1, 0.2, 0.05]
    let theta: [Double] = [0.3, -0.2]

    func loss(_ j: Int, _ t: [Double]) -> Double {
        let d = [t[0] - c[j][0], t[1] - c[j][1]]
        return 0.5 * MathFixtures.dot(d, MathFixtures.matrixVector(a[j], d)) + b[j]
    }
    func gradient(_ j: Int, _ t: [Double]) -> [Double] { MathFixtures.matrixVector(a[j], [t[0] - c[j][0], t[1] - c[j][1]]) }
    var losses: [Double] { (0..<3).map { loss($0, theta) } }
    var gradients: [[Double]] { (0..<3).map { gradient($0, theta) } }
    var gram: [[Double]] { gradients.map { gi in gradients.map { MathFixtures.dot(gi, $0) } } }
    func direction(_ candidate: TransferenceCandidate) -> [Double] {
        (0..<2).map { p in (0..<3).reduce(0.0) { $0 + candidate.weights[$1] * gradients[$1][p] } }
    }
    func transference(after step: [Double]) throws -> [Double] {
        try TransferenceScore.transference(lossesBefore: losses, lossesAfter: (0..<3).map { loss($0, step) })
    }
    func total(after step: [Double]) throws -> Double { try transference(after: step).reduce(0, +) }

    func testQuadraticSetup() throws {
        assertClose(losses, [0.385, 0.83, 0.6325], "L")
        assertClose(gradients[0], [-0.7, -0.4], "g1"); assertClose(gradients[1], [0, -1.05], "g2"); assertClose(gradients[2], [0.65, 0.4], "g3")
        let weights = try TransferenceScore.logProductWeights(losses: losses)
        assertClose((0..<2).map { p in (0..<3).reduce(0.0) { $0 + weights[$1] * gradients[$1][p] } }, [-0.790514, -1.67161], "Σ g_j/L_j")
    }

    func testCandidates() throws {
        let candidates = try TransferenceCandidate.leaveOneOutAndAll(taskCount: 3)
        XCTAssertEqual(candidates.map(\.weights), [[1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]])
        XCTAssertEqual(candidates.map(\.name), ["all", "without 0", "without 1", "without 2"])
        XCTAssertEqual(try TransferenceCandidate.leaveOneOutAndAll(taskCount: 1).map(\.weights), [[1]])
        XCTAssertEqual(try TransferenceCandidate.subsets([[0, 1], [2]], taskCount: 3).map(\.weights), [[1, 1, 0], [0, 0, 1]])
        XCTAssertEqual(try TransferenceCandidate.subset([2, 0], taskCount: 3).name, "{0,2}")
        assertThrowsMathError(try TransferenceCandidate.subset([], taskCount: 3))
        assertThrowsMathError(try TransferenceCandidate.subset([3], taskCount: 3))
        assertThrowsMathError(try TransferenceCandidate.subset([1, 1], taskCount: 3))
    }

    func testSGDLookaheadAndFirstOrderTable() throws {
        let candidates = try TransferenceCandidate.leaveOneOutAndAll(taskCount: 3)
        let expectedDirections: [[Double]] = [[-0.05, -1.05], [0.65, -0.65], [-0.05, 0], [-0.7, -1.45]]
        let expectedZ: [[Double]] = [[-0.125812, 0.489458, -0.466897], [-0.664773, 0.283886, 0.0449605],
                                     [0.0446429, -0.000753012, -0.0259387], [-0.13474, 0.300075, -1.07436]]
        let expectedTotals = [-0.103251, -0.335927, 0.0179511, -0.909023]
        var totals: [Double] = []
        for (k, candidate) in candidates.enumerated() {
            assertClose(direction(candidate), expectedDirections[k], absolute: 1e-12, "g_ξ \(candidate.name)")
            let step = try LookaheadStep.sgd(parameters: theta, gradient: direction(candidate), learningRate: 0.5)
            assertClose(try transference(after: step), expectedZ[k], "Z_{ξ→j} \(candidate.name)")
            totals.append(try total(after: step))
        }
        assertClose(totals, expectedTotals, "Z_ξ")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: totals), 2, "lookahead picks {1,3}")

        let firstOrder = try TransferenceScore.firstOrderScores(candidates: candidates, gram: gram, losses: losses)
        assertClose(firstOrder, [1.79472, 0.572713, 0.0395257, 2.97719], "first order")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: firstOrder), 3, "first order picks {1,2}")

        // η = 0.05: both rules pick {1,2}.
        let small = try candidates.map { try total(after: LookaheadStep.sgd(parameters: theta, gradient: direction($0), learningRate: 0.05)) }
        assertClose(small, [0.0797297, 0.0224128, 0.00195817, 0.124884], "η = 0.05 totals")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: small), 3)
        assertClose(firstOrder.map { 0.05 * $0 }, [0.0897358, 0.0286356, 0.00197628, 0.14886], "η × first order")
        let cosine = try TransferenceScore.firstOrderScores(candidates: candidates, gram: gram, losses: losses, cosine: true)
        assertClose(cosine, [0.923321, 0.336935, 0.427511, 0.999968], "cosine variant")
    }

    func testMomentumAndAdamLookaheads() throws {
        let candidates = try TransferenceCandidate.leaveOneOutAndAll(taskCount: 3)
        let momentum = try candidates.map {
            try total(after: LookaheadStep.pytorchMomentum(parameters: theta, gradient: direction($0), learningRate: 0.5,
                                                           momentum: 0.9, buffer: [0.1, -0.2]))
        }
        assertClose(momentum, [-0.341265, -0.522275, 0.105439, -1.20387], "PyTorch momentum totals")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: momentum), 2)

        let adam = try candidates.map {
            try total(after: LookaheadStep.adam(parameters: theta, gradient: direction($0), learningRate: 0.01,
                                                firstMoment: [0.05, -0.02], secondMoment: [0.01, 0.004], completedSteps: 10).parameters)
        }
        assertClose(adam, [0.00388303, 0.00186409, 0.000241831, 0.0055764], "Adam totals")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: adam), 3)

        // Keras momentum: θ + μv − ηg; with v = 0 it is SGD, and it differs from PyTorch's form.
        let g = direction(candidates[0])
        assertClose(try LookaheadStep.kerasMomentum(parameters: theta, gradient: g, learningRate: 0.5, momentum: 0.9, velocity: [0, 0]),
                    try LookaheadStep.sgd(parameters: theta, gradient: g, learningRate: 0.5), absolute: 1e-15, "Keras v = 0")
        assertClose(try LookaheadStep.kerasMomentum(parameters: theta, gradient: g, learningRate: 0.5, momentum: 0.9, velocity: [0.1, -0.2]),
                    [0.3 + 0.09 + 0.025, -0.2 - 0.18 + 0.525], relative: 1e-12, "Keras form")
        // PyTorch without a buffer (first step) equals SGD; weight decay adds wd·θ.
        assertClose(try LookaheadStep.pytorchMomentum(parameters: theta, gradient: g, learningRate: 0.5, momentum: 0.9, buffer: nil),
                    try LookaheadStep.sgd(parameters: theta, gradient: g, learningRate: 0.5), absolute: 1e-15, "first step")
        assertThrowsMathError(try LookaheadStep.sgd(parameters: theta, gradient: [1], learningRate: 0.5))
        assertThrowsMathError(try LookaheadStep.adam(parameters: theta, gradient: g, learningRate: 0.1, firstMoment: [0], secondMoment: [0, 0], completedSteps: 0))
        // Float works too (the training scalar).
        let floatStep = try LookaheadStep.sgd(parameters: [Float(1), 2], gradient: [0.5, -1], learningRate: 0.1)
        XCTAssertEqual(floatStep, [0.95, 2.1])
    }

    func testITPCGrad() throws {
        let candidates = try TransferenceCandidate.totalAndPCGrad(gram: gram, orders: PCGradProjection.ascendingOrders(taskCount: 3))
        let pcgrad = direction(candidates[1])
        assertClose(pcgrad, [0.442628, -0.73927], "PCGrad(G)")
        let step = try LookaheadStep.sgd(parameters: theta, gradient: pcgrad, learningRate: 0.5)
        assertClose(try transference(after: step), [-0.436846, 0.375572, -0.0796878], "Z")
        let totals = try candidates.map { try total(after: LookaheadStep.sgd(parameters: theta, gradient: direction($0), learningRate: 0.5)) }
        assertClose(totals, [-0.103251, -0.140962], "totals")
        XCTAssertEqual(try TransferenceScore.bestIndex(scores: totals), 0, "plain sum chosen")
        assertClose(try TransferenceScore.firstOrderScores(candidates: candidates, gram: gram, losses: losses)[1], 0.885868, "first order")
    }

    /// TAG affinities Z_{i→j}/η with singleton candidates. The spec's table is reproduced by the
    /// plain SGD lookahead at η = 0.5 (not the momentum lookahead the TAG text mentions).
    func testTAGAffinities() throws {
        let expected: [[Double]] = [[1.16234, 0.0783133, -1.10079], [-0.340909, 0.996235, -0.881917], [-2.07955, -0.887048, 0.80583]]
        for i in 0..<3 {
            let step = try LookaheadStep.sgd(parameters: theta, gradient: gradients[i], learningRate: 0.5)
            assertClose(try TransferenceScore.affinity(lossesBefore: losses, lossesAfter: (0..<3).map { loss($0, step) }, learningRate: 0.5),
                        expected[i], "source \(i)")
        }
        assertThrowsMathError(try TransferenceScore.affinity(lossesBefore: [1], lossesAfter: [1], learningRate: 0))
        assertThrowsMathError(try TransferenceScore.transference(lossesBefore: [0], lossesAfter: [1]))
        assertThrowsMathError(try TransferenceScore.bestIndex(scores: []))
    }
}
