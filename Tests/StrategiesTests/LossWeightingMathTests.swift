import XCTest
import TandemStrategies

/// STRATEGIES.md §2 (UW), §3 (DWA), §4 (GradNorm), §8 (OL-AUX), §13d (RLW).
final class LossWeightingMathTests: XCTestCase {
    let s = [-0.5, 0, 0.7]

    func uncertainty(_ form: UncertaintyWeightingForm) -> (total: Double, weights: [Double], gradients: [Double]) {
        let total = try! form.total(losses: MathFixtures.l3, parameters: s)
        let weights = s.map { form.weight(parameter: $0) }
        let gradients = zip(MathFixtures.l3, s).map { form.parameterGradient(loss: $0, parameter: $1) }
        return (total, weights, gradients)
    }

    func testUncertaintyWeighting() throws {
        XCTAssertEqual(UncertaintyWeightingForm.default, .regression)
        let regression = uncertainty(.regression)
        assertClose(regression.total, 2.05573, "regression total")
        assertClose(regression.weights, [0.824361, 0.5, 0.248293], "regression weights")
        assertClose(regression.gradients, [-0.159489, -0.25, -0.0462438], "regression ∂/∂s")
        assertClose(zip(s, regression.gradients).map { $0 - 0.1 * $1 }, [-0.484051, 0.025, 0.704624], "regression SGD")

        let classification = uncertainty(.classification)
        assertClose(classification.total, 4.01146, "classification total")
        assertClose(classification.weights, [1.64872, 1, 0.496585], "classification weights")
        assertClose(classification.gradients, [-0.818977, -1, -0.592488], "classification ∂/∂s")
        assertClose(zip(s, classification.gradients).map { $0 - 0.1 * $1 }, [-0.418102, 0.1, 0.759249], "classification SGD")

        let simplified = uncertainty(.simplified)
        assertClose(simplified.total, 4.11146, "simplified total")
        assertClose(simplified.gradients, [-0.318977, -0.5, -0.0924877], "simplified ∂/∂s")

        // Stationary points: e^s = L (regression, simplified), 2L (classification); effective weights 1/(2L), 1/L.
        for form in UncertaintyWeightingForm.allCases {
            for loss in MathFixtures.l3 {
                let star = form.stationaryParameter(loss: loss)
                XCTAssertEqual(form.parameterGradient(loss: loss, parameter: star), 0, accuracy: 1e-12, "\(form)")
                // The derivative agrees with a central difference of the term.
                let x = star + 0.3, h = 1e-6
                let numeric = (form.term(loss: loss, parameter: x + h) - form.term(loss: loss, parameter: x - h)) / (2 * h)
                XCTAssertEqual(form.parameterGradient(loss: loss, parameter: x), numeric, accuracy: 1e-6, "\(form) ∂/∂s")
                let numericWeight = (form.term(loss: loss + h, parameter: x) - form.term(loss: loss - h, parameter: x)) / (2 * h)
                XCTAssertEqual(form.weight(parameter: x), numericWeight, accuracy: 1e-6, "\(form) ∂/∂L")
            }
        }
        assertClose(MathFixtures.l3.map { UncertaintyWeightingForm.regression.weight(parameter: UncertaintyWeightingForm.regression.stationaryParameter(loss: $0)) },
                    MathFixtures.l3.map { 1 / (2 * $0) }, "1/(2L)")
        assertClose(MathFixtures.l3.map { UncertaintyWeightingForm.classification.weight(parameter: UncertaintyWeightingForm.classification.stationaryParameter(loss: $0)) },
                    MathFixtures.l3.map { 1 / (2 * $0) }, "1/(2L)")
        // TAG form: clipped u passes no gradient; initial values.
        XCTAssertEqual(UncertaintyWeightingForm.tagLogStandardDeviation.parameterGradient(loss: 1, parameter: 11), 0)
        XCTAssertEqual(UncertaintyWeightingForm.tagLogStandardDeviation.term(loss: 1, parameter: -1), UncertaintyWeightingForm.tagLogStandardDeviation.term(loss: 1, parameter: 0.01))
        XCTAssertEqual(UncertaintyWeightingForm.tagLogStandardDeviation.defaultInitialValue, 1)
        XCTAssertEqual(UncertaintyWeightingForm.regression.defaultInitialValue, -0.5)
        assertThrowsMathError(try UncertaintyWeightingForm.regression.total(losses: [1, 2], parameters: [0]))
    }

    func testDynamicWeightAverage() throws {
        let history = [[1.0, 2.0, 0.5], [0.8, 1.9, 0.45]]
        assertClose(try DynamicWeightAverageWeights.weights(epochMeanLosses: history, epoch: 2, taskCount: 3),
                    [0.958725, 1.03339, 1.00788], "τ = 2")
        assertClose(try DynamicWeightAverageWeights.weights(epochMeanLosses: history, epoch: 2, taskCount: 3, temperature: 1),
                    [0.918272, 1.06688, 1.01485], "τ = 1")
        XCTAssertEqual(try DynamicWeightAverageWeights.weights(epochMeanLosses: [], epoch: 0, taskCount: 3), [1, 1, 1])
        XCTAssertEqual(try DynamicWeightAverageWeights.weights(epochMeanLosses: [history[0]], epoch: 1, taskCount: 3), [1, 1, 1])
        let weights = try DynamicWeightAverageWeights.weights(ratios: [0.8, 0.95, 0.9])
        assertClose(weights.reduce(0, +), 3, "Σλ = T")
        assertThrowsMathError(try DynamicWeightAverageWeights.weights(epochMeanLosses: history, epoch: 3, taskCount: 3))
        assertThrowsMathError(try DynamicWeightAverageWeights.weights(ratios: [1], temperature: 0))
        assertThrowsMathError(try DynamicWeightAverageWeights.weights(epochMeanLosses: [[0, 1, 1], [1, 1, 1]], epoch: 2, taskCount: 3))
    }

    func testGradNorm() throws {
        let norms = [2.0, 0.5, 1.0], initial = [2.0, 1.0, 0.5], losses = [1.0, 0.8, 0.3]
        let first = try GradNormWeightUpdate.evaluate(weights: [1, 1, 1], gradientNorms: norms, initialLosses: initial, losses: losses)
        assertClose(first.weightedNorms, [2, 0.5, 1], "G")
        assertClose(first.meanWeightedNorm, 1.16667, "Ḡ")
        assertClose(first.inverseTrainingRates, [0.789474, 1.26316, 0.947368], "r")
        assertClose(first.targets, [0.818377, 1.65628, 1.07578], "C")
        assertClose(first.gradNormLoss, 2.41369, "L_grad")
        assertClose(first.weightGradient, [2, -0.5, -1], "∂L/∂w")
        assertClose(zip([1.0, 1, 1], first.weightGradient).map { $0 - 0.1 * $1 }, [0.8, 1.05, 1.1], "after SGD")
        assertClose(try GradNormWeightUpdate.renormalized(weights: zip([1.0, 1, 1], first.weightGradient).map { $0 - 0.1 * $1 }),
                    [0.813559, 1.0678, 1.11864], "after renorm")

        let second = try GradNormWeightUpdate.evaluate(weights: [1.2, 0.8, 1.0], gradientNorms: norms, initialLosses: initial, losses: losses)
        assertClose(second.weightedNorms, [2.4, 0.4, 1], "G")
        assertClose(second.meanWeightedNorm, 1.26667, "Ḡ")
        assertClose(second.targets, [0.888523, 1.79824, 1.16799], "C")
        assertClose(second.gradNormLoss, 3.07772, "L_grad")
        assertClose(zip([1.2, 0.8, 1.0], second.weightGradient).map { $0 - 0.1 * $1 }, [1, 0.85, 1.1], "after SGD")
        assertClose(try GradNormWeightUpdate.renormalized(weights: zip([1.2, 0.8, 1.0], second.weightGradient).map { $0 - 0.1 * $1 }),
                    [1.01695, 0.864407, 1.11864], "after renorm")

        // TAG clipping to [0.1, 10] before renormalising; α = 0 targets equal norms.
        assertClose(try GradNormWeightUpdate.renormalized(weights: [-1, 1, 20], clipRange: GradNormWeightUpdate.tagClipRange),
                    [0.3 / 11.1, 3 / 11.1, 30 / 11.1], "clipped")
        let flat = try GradNormWeightUpdate.evaluate(weights: [1, 1, 1], gradientNorms: norms, initialLosses: initial, losses: losses, asymmetry: 0)
        assertClose(flat.targets, [7.0 / 6, 7.0 / 6, 7.0 / 6], "α = 0")
        assertThrowsMathError(try GradNormWeightUpdate.renormalized(weights: [0, 0]))
        assertThrowsMathError(try GradNormWeightUpdate.evaluate(weights: [1], gradientNorms: [1, 2], initialLosses: [1], losses: [1]))
        assertThrowsMathError(try GradNormWeightUpdate.evaluate(weights: [1], gradientNorms: [1], initialLosses: [0], losses: [1]))
    }

    func testOnlineAuxiliaryWeighting() throws {
        let main: [[Float]] = [[1, -0.5, 0.2], [0.8, -0.4, 0.1], [0.6, -0.2, 0.3]]
        let aux1: [[Float]] = [[0.5, 0.5, 0], [0.4, 0.1, 0.2], [0.3, 0, 0.1]]
        let aux2: [[Float]] = [[-1, 2, 0], [-0.5, 1.5, -0.2], [-0.8, 1, 0]]
        var products: [[Double]] = []
        for step in 0..<3 {
            let g = try TaskGradientMatrix(rows: [main[step], aux1[step], aux2[step]])
            products.append(Array(try g.dotProducts(with: main[step]).dropFirst()))
        }
        assertClose(products.map { $0[0] }, [0.25, 0.3, 0.21], "aux1 dots")
        assertClose(products.map { $0[1] }, [-2, -1.02, -0.68], "aux2 dots")

        var small = try OnlineAuxiliaryWeighting(auxiliaryCount: 2, updateInterval: 3, weightLearningRate: 5)
        for step in 0..<3 {
            let g = try TaskGradientMatrix(rows: [main[step], aux1[step], aux2[step]])
            let updated = try small.record(gradients: g, learningRate: 0.01)
            XCTAssertEqual(updated, step == 2)
            if step < 2 { XCTAssertEqual(small.weights, [1, 1]) }
        }
        assertClose(small.weights, [1.038, 0.815], "α = 0.01, β = 5")
        XCTAssertEqual(small.accumulatedProducts, [0, 0])
        XCTAssertEqual(small.recordedSteps, 0)

        var large = try OnlineAuxiliaryWeighting(auxiliaryCount: 2, updateInterval: 3, weightLearningRate: 0.5)
        var unclipped = try OnlineAuxiliaryWeighting(auxiliaryCount: 2, updateInterval: 3, weightLearningRate: 0.5, clipsAtZero: false)
        for step in 0..<3 {
            try large.record(mainAuxiliaryProducts: products[step], learningRate: 1)
            try unclipped.record(mainAuxiliaryProducts: products[step], learningRate: 1)
        }
        assertClose(unclipped.weights, [1.38, -0.85], "raw")
        assertClose(large.weights, [1.38, 0], "clipped")
        assertThrowsMathError(try OnlineAuxiliaryWeighting(auxiliaryCount: 0))
        assertThrowsMathError(try OnlineAuxiliaryWeighting(auxiliaryCount: 1, updateInterval: 0))
        assertThrowsMathError(try large.record(mainAuxiliaryProducts: [1], learningRate: 1))
        // A value type that round-trips through Codable (checkpointing).
        let data = try JSONEncoder().encode(small)
        XCTAssertEqual(try JSONDecoder().decode(OnlineAuxiliaryWeighting.self, from: data), small)
    }

    func testRandomLossWeights() throws {
        assertClose(try RandomLossWeights.weights(normalSample: [0.3, -1.2, 0.8]), [0.348207, 0.0776956, 0.574097], "softmax")
        var generator = SplitMix64(seed: 11)
        let drawn = try RandomLossWeights.drawWeights(taskCount: 4, using: &generator)
        XCTAssertEqual(drawn.count, 4)
        assertClose(drawn.reduce(0, +), 1, relative: 1e-12, "Σw = 1")
        var normals = SplitMix64(seed: 5)
        let sample = (0..<20000).map { _ in RandomLossWeights.standardNormal(using: &normals) }
        let mean = sample.reduce(0, +) / 20000
        let variance = sample.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.04)
        assertThrowsMathError(try RandomLossWeights.weights(normalSample: []))
    }
}
