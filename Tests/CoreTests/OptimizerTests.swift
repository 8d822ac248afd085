import XCTest
@testable import TandemCore

final class OptimizerTests: XCTestCase {
    let theta = Parameters([("w", Tensor(shape: [2], scalars: [1, -2]))])
    let gradient = Parameters([("w", Tensor(shape: [2], scalars: [0.5, 0.25]))])

    func testPlainSGDWithWeightDecay() {
        let sgd = SGD(weightDecay: 0.1)
        let (p, state) = sgd.step(parameters: theta, gradients: gradient, state: sgd.initialState(for: theta), learningRate: 0.1)
        // θ − lr (g + wd θ) = [1 − 0.1·0.6, −2 − 0.1·0.05]
        XCTAssertEqual(p["w"].scalars[0], 0.94, accuracy: 1e-6)
        XCTAssertEqual(p["w"].scalars[1], -2.005, accuracy: 1e-6)
        XCTAssertEqual(state.step, 1)
    }

    func testMomentumAndNesterovMatchPyTorch() {
        // Two steps with the same gradient, μ = 0.9, lr = 0.1.
        // buf1 = g, buf2 = 0.9 g + g = 1.9 g. Plain: θ2 = θ − 0.1 (g + 1.9 g) = θ − 0.29 g.
        // Nesterov: d1 = g + 0.9 g, d2 = g + 0.9·1.9 g ⇒ θ2 = θ − 0.1 (1.9 + 2.71) g = θ − 0.461 g.
        for (nesterov, factor) in [(false, Float(0.29)), (true, Float(0.461))] {
            let sgd = SGD(momentum: 0.9, nesterov: nesterov)
            var (p, state) = (theta, sgd.initialState(for: theta))
            for _ in 0..<2 { (p, state) = sgd.step(parameters: p, gradients: gradient, state: state, learningRate: 0.1) }
            XCTAssertEqual(p["w"].scalars[0], 1 - factor * 0.5, accuracy: 1e-6)
            XCTAssertEqual(p["w"].scalars[1], -2 - factor * 0.25, accuracy: 1e-6)
            XCTAssertEqual(state.buffers["momentum"]!["w"].scalars[0], 1.9 * 0.5, accuracy: 1e-6)
        }
    }

    func testAdamFirstStepsMatchHandComputation() {
        let adam = Adam()
        var (p, state) = (theta, adam.initialState(for: theta))
        (p, state) = adam.step(parameters: p, gradients: gradient, state: state, learningRate: 0.01)
        // First step: m̂ = g, v̂ = g² ⇒ θ − lr·g/(|g| + ε) = θ − lr·sign(g).
        XCTAssertEqual(p["w"].scalars[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(p["w"].scalars[1], -2.01, accuracy: 1e-6)
        // Second step with gradient −g: m = 0.9·0.1 g − 0.1 g = −0.01 g; m̂ = −0.01 g / 0.19;
        // v = 0.999·0.001 g² + 0.001 g² = 0.001999 g²; v̂ = 0.001999 g² / 0.001999 = g².
        let negative = gradient.map { -$1 }
        (p, state) = adam.step(parameters: p, gradients: negative, state: state, learningRate: 0.01)
        XCTAssertEqual(p["w"].scalars[0], 0.99 + 0.01 * (0.01 / 0.19), accuracy: 1e-6)
        XCTAssertEqual(state.step, 2)
    }

    func testAdamWeightDecayCoupledAndDecoupled() {
        let coupled = Adam(weightDecay: 0.5)
        let (p1, _) = coupled.step(parameters: theta, gradients: gradient, state: coupled.initialState(for: theta), learningRate: 0.01)
        // g + wd θ = [1.0, −0.75] ⇒ first step moves by lr·sign.
        XCTAssertEqual(p1["w"].scalars, [0.99, -1.99])
        let decoupled = Adam(weightDecay: 0.5, decoupled: true)
        let (p2, _) = decoupled.step(parameters: theta, gradients: gradient, state: decoupled.initialState(for: theta), learningRate: 0.01)
        XCTAssertEqual(p2["w"].scalars[0], 1 * (1 - 0.005) - 0.01, accuracy: 1e-6)
    }

    func testStepIsPure() {
        let sgd = SGD(momentum: 0.9)
        let state = sgd.initialState(for: theta)
        let first = sgd.step(parameters: theta, gradients: gradient, state: state, learningRate: 0.1)
        let again = sgd.step(parameters: theta, gradients: gradient, state: state, learningRate: 0.1)
        XCTAssertEqual(first.parameters["w"].scalars, again.parameters["w"].scalars)
        XCTAssertEqual(theta["w"].scalars, [1, -2])
        XCTAssertEqual(state.buffers["momentum"]!["w"].scalars, [0, 0])
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant.rate(base: 0.1, step: 500), 0.1)
        let stepwise = LearningRateSchedule.stepwise(milestones: [10, 20], factor: 0.5)
        XCTAssertEqual(stepwise.rate(base: 1, step: 9), 1)
        XCTAssertEqual(stepwise.rate(base: 1, step: 10), 0.5)
        XCTAssertEqual(stepwise.rate(base: 1, step: 25), 0.25)
        let half = LearningRateSchedule.halfAtMidpoint(totalSteps: 100)
        XCTAssertEqual(half.rate(base: 0.1, step: 49), 0.1)
        XCTAssertEqual(half.rate(base: 0.1, step: 50), 0.05)
        let cosine = LearningRateSchedule.cosine(totalSteps: 100, minimum: 0)
        XCTAssertEqual(cosine.rate(base: 1, step: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(base: 1, step: 50), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(base: 1, step: 100), 0, accuracy: 1e-6)
    }
}

final class ParametersTests: XCTestCase {
    func testFlattenRoundTripAndArithmetic() {
        let p = Parameters([("b", Tensor(shape: [2], scalars: [1, 2])), ("a", Tensor(shape: [2, 1], scalars: [3, 4]))])
        XCTAssertEqual(p.names, ["b", "a"])
        XCTAssertEqual(p.flattened().scalars, [1, 2, 3, 4])
        let back = Parameters(unflattening: Tensor(shape: [4], scalars: [5, 6, 7, 8]), like: p)
        XCTAssertEqual(back["a"].shape, [2, 1])
        XCTAssertEqual(back["a"].scalars, [7, 8])
        XCTAssertEqual(Parameters.dot(p, back).scalar, 5 + 12 + 21 + 32)
        XCTAssertEqual((p + back * 2)["b"].scalars, [11, 14])
        XCTAssertEqual(p.filter(prefix: "a").names, ["a"])
    }

    func testKernelsAreDeterministic() {
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([4, 16, 24, 24], generator: &generator)
        let w = Tensor.randomNormal([16, 16, 3, 3], generator: &generator)
        let run = { () -> [Float] in
            let (_, g) = valueAndGrad(at: [x, w]) { ((conv2d($0[0], weight: $0[1], padding: 1) * 0.5).sum(axes: [0, 2, 3]) * Tensor.ones([16])).sum() }
            return g[0].scalars + g[1].scalars
        }
        XCTAssertEqual(run(), run())
    }

    func testSeededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        var c = SeededGenerator(state: a.state)
        XCTAssertEqual(a.nextNormal(), c.nextNormal())
    }
}
