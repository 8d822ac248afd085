import XCTest
import TandemCore
import TandemStrategies

/// STRATEGIES.md §1 and §2 vectors.
final class WeightingStrategyTests: XCTestCase {
    let g3: [[Float]] = [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
    let l3: [Float] = [0.8, 1.5, 2.2]

    func testEqualWeighting() throws {
        let sum = try GradientCombinationProblem(gradients: g3, losses: l3).combine(with: EqualWeighting())
        XCTAssertEqual(sum.decoderLoss, 4.5, accuracy: 1e-5)
        StrategyPropertyKit.assertClose(sum.direction, [-0.5, 1.5, 1.5, -1.5], tolerance: 1e-5, "EW sum")
        let mean = try GradientCombinationProblem(gradients: g3, losses: l3).combine(with: EqualWeighting(reduction: .mean))
        XCTAssertEqual(mean.decoderLoss, 1.5, accuracy: 1e-5)
        StrategyPropertyKit.assertClose(mean.direction, [-0.166667, 0.5, 0.5, -0.5], tolerance: 1e-5, "EW mean")
    }

    func uw(_ variant: UncertaintyWeighting.Variant, kind: TaskKind) throws -> (GradientCombinationProblem.Outcome, UncertaintyWeighting) {
        let names = ["a", "b", "c"]
        let strategy = UncertaintyWeighting(tasks: names.map { TaskSpec(name: $0, kind: kind) }, variant: variant)
        for (name, s) in zip(names, [Float(-0.5), 0, 0.7]) { strategy.ownParameters["logVariance.\(name)"] = Tensor(shape: [1], scalars: [s]) }
        let problem = GradientCombinationProblem(gradients: g3, losses: l3, taskNames: names)
        return (try problem.combine(with: strategy), strategy)
    }

    func assertVector(_ actual: [Float], _ expected: [Float], _ message: String) {
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-5 * max(1, abs(e)), message) }
    }

    func testUncertaintyRegressionForm() throws {
        let (outcome, strategy) = try uw(.libmtl, kind: .depth)
        XCTAssertEqual(outcome.decoderLoss, 2.05573, accuracy: 1e-5)
        assertVector(["a", "b", "c"].map { outcome.decoderWeights[$0]! }, [0.824361, 0.5, 0.248293], "weights ½e^{−s}")
        let gradients = ["a", "b", "c"].map { outcome.ownParameterGradients["logVariance.\($0)"].scalar }
        assertVector(gradients, [-0.159489, -0.25, -0.0462438], "∂/∂s")
        let sgd = SGD()
        let (updated, _) = sgd.step(parameters: strategy.ownParameters, gradients: outcome.ownParameterGradients,
                                    state: sgd.initialState(for: strategy.ownParameters), learningRate: 0.1)
        assertVector(["a", "b", "c"].map { updated["logVariance.\($0)"].scalar }, [-0.484051, 0.025, 0.704624], "after SGD")
        // The encoder gets the same weights as the heads.
        let expected = (0..<4).map { j in zip([Float(0.824361), 0.5, 0.248293], g3).reduce(Float(0)) { $0 + $1.0 * $1.1[j] } }
        assertVector(outcome.direction, expected, "encoder direction")
    }

    func testUncertaintyClassificationForm() throws {
        let (outcome, strategy) = try uw(.kendall, kind: .classification(classes: 10))
        XCTAssertEqual(outcome.decoderLoss, 4.01146, accuracy: 1e-5)
        assertVector(["a", "b", "c"].map { outcome.decoderWeights[$0]! }, [1.64872, 1, 0.496585], "weights e^{−s}")
        let gradients = ["a", "b", "c"].map { outcome.ownParameterGradients["logVariance.\($0)"].scalar }
        assertVector(gradients, [-0.818977, -1, -0.592488], "∂/∂s")
        let sgd = SGD()
        let (updated, _) = sgd.step(parameters: strategy.ownParameters, gradients: outcome.ownParameterGradients,
                                    state: sgd.initialState(for: strategy.ownParameters), learningRate: 0.1)
        assertVector(["a", "b", "c"].map { updated["logVariance.\($0)"].scalar }, [-0.418102, 0.1, 0.759249], "after SGD")
    }

    func testUncertaintySimplifiedVariant() throws {
        let (outcome, _) = try uw(.simplified, kind: .depth)
        XCTAssertEqual(outcome.decoderLoss, 4.11146, accuracy: 1e-5)
        let gradients = ["a", "b", "c"].map { outcome.ownParameterGradients["logVariance.\($0)"].scalar }
        assertVector(gradients, [-0.318977, -0.5, -0.0924877], "∂/∂s")
    }
}
