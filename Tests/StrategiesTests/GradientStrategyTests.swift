import XCTest
import TandemCore
import TandemStrategies

/// The strategies on STRATEGIES.md §3–§6 and §12 vectors, through the combination harness (the
/// pure mathematics underneath is tested on every vector in the Math tests).
final class GradientStrategyTests: XCTestCase {
    let g2: [[Float]] = [[2, 1, -1], [-1, 1.5, 0.5]]
    let g3: [[Float]] = [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
    let l3: [Float] = [0.8, 1.5, 2.2]

    func assertVector(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(message): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func assertVector(_ actual: [Double], _ expected: [Double], tolerance: Double, _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: tolerance, "\(message): \(actual)", file: file, line: line) }
    }

    // §3
    func testDynamicWeightAverage() throws {
        XCTAssertEqual(DynamicWeightAverage(temperature: 2).weights(for: ["a", "b"]), ["a": 1, "b": 1])
        let dwa = DynamicWeightAverage()
        dwa.epochEnded(meanLosses: ["t0": 1.0, "t1": 2.0, "t2": 0.5])
        XCTAssertEqual(dwa.weights(for: ["t0", "t1", "t2"]), ["t0": 1, "t1": 1, "t2": 1], "epoch 1 still uses 1")
        dwa.epochEnded(meanLosses: ["t0": 0.8, "t1": 1.9, "t2": 0.45])
        let outcome = try GradientCombinationProblem(gradients: g3, losses: l3, taskNames: ["t0", "t1", "t2"]).combine(with: dwa)
        assertVector(["t0", "t1", "t2"].map { outcome.decoderWeights[$0]! }, [0.958725, 1.03339, 1.00788], "epoch-2 weights")
    }

    // §4
    func testGradNormUpdate() throws {
        let first = try GradNorm.updatedWeights(weights: [1, 1, 1], norms: [2, 0.5, 1], losses: [1, 0.8, 0.3], initialLosses: [2, 1, 0.5],
                                            alpha: 1.5, learningRate: 0.1)
        assertVector(first, [0.813559, 1.0678, 1.11864])
        let second = try GradNorm.updatedWeights(weights: [1.2, 0.8, 1], norms: [2, 0.5, 1], losses: [1, 0.8, 0.3], initialLosses: [2, 1, 0.5],
                                             alpha: 1.5, learningRate: 0.1)
        assertVector(second, [1.01695, 0.864407, 1.11864])
    }

    func testGradNormUsesPreUpdateWeightsAndLearns() throws {
        // Gradients with norms 2, 0.5, 1 at z; first step sets L(0) = L.
        let rows: [[Float]] = [[2, 0, 0], [0, 0.5, 0], [0, 0, 1]]
        let strategy = GradNorm(layer: .representation)
        let problem = GradientCombinationProblem(gradients: rows, losses: [2, 1, 0.5], taskNames: ["a", "b", "c"], learningRate: 0.1)
        let first = try problem.combine(with: strategy)
        XCTAssertEqual(first.encoderWeights, ["a": 1, "b": 1, "c": 1])
        var later = problem
        later.losses = [1, 0.8, 0.3]
        later.step = 1
        let second = try later.combine(with: strategy)
        // After step 0 (r = 1): G = [2, .5, 1], C = Ḡ = 7/6 ⇒ w = [.8, 1.05, 1.1] ⇒ renormalised.
        let expected = try GradNorm.updatedWeights(weights: [1, 1, 1], norms: [2, 0.5, 1], losses: [2, 1, 0.5], initialLosses: [2, 1, 0.5],
                                               alpha: 1.5, learningRate: 0.1)
        assertVector(["a", "b", "c"].map { second.encoderWeights![$0]! }, expected)
    }

    // §5
    func testPCGradThroughTheHarness() throws {
        // With two tasks the order is forced, so the seeded random order does not matter.
        let sum = try GradientCombinationProblem(gradients: g2).combine(with: PCGrad())
        assertVector(sum.direction, [1.04762, 3.09524, -0.52381])
        let representation = try GradientCombinationProblem(gradients: g2).combine(with: PCGrad(level: .representation))
        assertVector(representation.direction, [1.04762, 3.09524, -0.52381])
    }

    func testPCGradMeanThroughTheHarness() throws {
        let outcome = try GradientCombinationProblem(gradients: g2).combine(with: PCGrad(reduction: .mean))
        assertVector(outcome.direction, [0.52381, 1.54762, -0.261905])
    }

    // §6
    func testMGDAWeights() throws {
        assertVector(try MGDA.weights(rows: g3, losses: l3, normalisation: .none), [0.428355, 0.193881, 0.377764], tolerance: 1e-4, "none")
        assertVector(try MGDA.weights(rows: g3, losses: l3, normalisation: .l2), [0.412597, 0.184057, 0.403346], tolerance: 1e-4, "l2")
        assertVector(try MGDA.weights(rows: g3, losses: l3, normalisation: .lossPlus), [0.203947, 0.179282, 0.616771], tolerance: 1e-4, "loss+")
    }

    func testMGDADirectionsAndRepresentationConventions() throws {
        let t1 = try GradientCombinationProblem(gradients: g2).combine(with: MGDA())
        assertVector(t1.direction, [0.173913, 1.30435, -0.0869565], tolerance: 1e-4)
        let t2 = try GradientCombinationProblem(gradients: g3, losses: l3).combine(with: MGDA(normalisation: .lossPlus))
        assertVector(t2.direction, [0.153769, -0.337982, 1.11924, -0.69408], tolerance: 1e-3)
        // T3: B = 2, D = 2 representation gradients; full-tensor vs batch-summed inner products.
        let h1: [Float] = [1, 0, 0, 1], h2: [Float] = [-1, 0.5, 0.5, -0.5]
        assertVector(try MGDA.weights(rows: [h1, h2], losses: [1, 1], normalisation: .none), [0.481481, 0.518519], tolerance: 1e-4)
        let summed: [[Float]] = [[1, 1], [-0.5, 0]]
        assertVector(try MGDA.weights(rows: summed, losses: [1, 1], normalisation: .none), [0.230769, 0.769231], tolerance: 1e-4)
    }

    // §12
    func testIALGates() {
        let tasks = [TaskSpec(name: "p", kind: .depth), TaskSpec(name: "a", kind: .depth, role: .auxiliary)]
        let linear = ImpartialAuxiliaryLearning(tasks: tasks)
        assertVector([linear.weight(sigma: 0.3), linear.weight(sigma: 0.8), linear.weight(sigma: 1.4)], [0.7, 0.2, 0])
        let scaled = ImpartialAuxiliaryLearning(tasks: tasks, shape: .scaled, kappa: 2)
        assertVector([scaled.weight(sigma: 0.3), scaled.weight(sigma: 0.8)], [1, 0.4])
        let exponential = ImpartialAuxiliaryLearning(tasks: tasks, shape: .exponential)
        assertVector([exponential.weight(sigma: 0.3), exponential.weight(sigma: 0.8)], [1, 0.221403])
    }

    func testIALThroughTheHarness() throws {
        let names = ["p", "a1", "a2"]
        let strategy = ImpartialAuxiliaryLearning(tasks: [TaskSpec(name: "p", kind: .depth), TaskSpec(name: "a1", kind: .depth, role: .auxiliary),
                                                         TaskSpec(name: "a2", kind: .depth, role: .auxiliary)])
        // σ = [0.3, 0.8] for the auxiliaries: s = log σ².
        strategy.ownParameters["logVariance.a1"] = Tensor(shape: [1], scalars: [-2.40795])
        strategy.ownParameters["logVariance.a2"] = Tensor(shape: [1], scalars: [-0.446287])
        let problem = GradientCombinationProblem(gradients: [[0.5, -1, 2], [1, 0.5, 0], [-3, 1, 4]], losses: [1, 1, 1], taskNames: names,
                                                 roles: [.primary, .auxiliary, .auxiliary])
        let outcome = try problem.combine(with: strategy)
        assertVector(outcome.direction, [1.66496, -0.192842, 2.35949], tolerance: 1e-4)
        assertVector([outcome.decoderWeights["a1"]!, outcome.decoderWeights["a2"]!], [5.55556, 0.78125], tolerance: 1e-4, "1/(2σ²)")
    }
}
