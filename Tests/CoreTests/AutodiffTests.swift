import XCTest
@testable import TandemCore

final class AutodiffTests: XCTestCase {
    // MARK: STRATEGIES.md §11 (TMT): ∇λ and ∇U of the meta loss, two ways.

    /// The §11 problem: O_b = W x_b, L_A = ½ mean_b ‖O_b − a_b‖², L_P = ½ mean_b ‖P O_b − p_b‖²,
    /// f_φ(g) = (diag(λ) + U Uᵀ) g, Θ⁺ = W − α Jᵀ f_φ(g_A).
    struct MetaProblem {
        let x = Tensor(shape: [2, 2], scalars: [1, 0.5, -0.5, 2])
        let w = Tensor(shape: [3, 2], scalars: [0.2, -0.1, 0.4, 0.3, -0.3, 0.1])
        let a = Tensor(shape: [2, 3], scalars: [0.5, 0, -0.5, 1, 1, 0])
        let p = Tensor(shape: [2, 3], scalars: [1, 0.5, -1, 0, 1, 2])
        let primaryTarget = Tensor(shape: [2, 2], scalars: [0.3, -0.2, 1, 0.5])
        let lambda = Tensor(shape: [3], scalars: [1, 1, 1])
        let u = Tensor(shape: [3, 1], scalars: [0.1, -0.2, 0.3])
        let alpha: Float = 0.1

        func encode(_ weight: Tensor) -> Tensor { matmul(x, weight, transposeB: true) }   // B×C
        func auxiliaryLoss(_ o: Tensor) -> Tensor { let d = o - a; return (d * d).sum() * (0.5 / 2) }
        func primaryLoss(_ o: Tensor) -> Tensor {
            let d = matmul(o, p, transposeB: true) - primaryTarget
            return (d * d).sum() * (0.5 / 2)
        }
        /// g M for rows g (M symmetric).
        func project(_ g: Tensor, lambda: Tensor, u: Tensor) -> Tensor {
            g * lambda.reshaped([1, 3]) + matmul(matmul(g, u), u, transposeB: true)
        }
    }

    let expectedLambdaGradient: [Float] = [-0.133574, -0.00197594, -0.0841968]
    let expectedUGradient: [Float] = [0.0829956, 0.0305096, -0.0399688]

    func assertClose(_ actual: [Float], _ expected: [Float], relative: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertLessThanOrEqual(Swift.abs(a - e), relative * Swift.abs(e) + 1e-7, "\(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testTMTVectorThroughCreateGraph() {
        let problem = MetaProblem()
        let w = problem.w.tracked(), lambda = problem.lambda.tracked(), u = problem.u.tracked()
        let o = problem.encode(w)
        let gA = grad(of: problem.auxiliaryLoss(o), wrt: [o], retainGraph: true)[0]
        assertClose(gA.scalars, [-0.175, 0.275, 0.125, -0.65, -0.3, 0.175])
        let transformed = problem.project(gA, lambda: lambda, u: u)
        let step = grad(of: o, wrt: [w], seed: transformed, createGraph: true)[0]   // Jᵀ f_φ(g_A)
        let wPlus = w - step * problem.alpha
        assertClose(wPlus.scalars, [0.185588, 0.037975, 0.356325, 0.3478, -0.301987, 0.056425])
        let metaLoss = problem.primaryLoss(problem.encode(wPlus))
        XCTAssertEqual(metaLoss.scalar, 0.392903, accuracy: 1e-6)
        let gradients = grad(of: metaLoss, wrt: [lambda, u])
        assertClose(gradients[0].scalars, expectedLambdaGradient)
        assertClose(gradients[1].scalars, expectedUGradient)
    }

    func testTMTVectorThroughJVP() {
        let problem = MetaProblem()
        let o = problem.encode(problem.w)
        let (_, gAs) = valueAndGrad(at: [o]) { problem.auxiliaryLoss($0[0]) }
        let gA = gAs[0]
        let transformed = problem.project(gA, lambda: problem.lambda, u: problem.u)
        let (_, steps) = vjp(at: [problem.w], cotangent: transformed) { problem.encode($0[0]) }
        let wPlus = problem.w - steps[0] * problem.alpha
        let (metaLoss, vs) = valueAndGrad(at: [wPlus]) { problem.primaryLoss(problem.encode($0[0])) }
        XCTAssertEqual(metaLoss.scalar, 0.392903, accuracy: 1e-6)
        // u = J v: forward-mode derivative of O at Θ in direction v.
        let (_, u) = jvp(at: [problem.w], tangents: [vs[0]]) { problem.encode($0[0]) }
        assertClose(u.scalars, [0.021672, 0.261289, 0.479234, -2.06082, 0.17365, 4.46894])
        // ∂/∂λ_c = −α Σ_b u_c g_A,c ;  ∂/∂U = −α (S + Sᵀ) U with S = Σ_b u_b g_A,bᵀ.
        let lambdaGradient = (u * gA).sum(axes: [0]) * -problem.alpha
        let s = matmul(u, gA, transposeA: true)
        let uGradient = matmul(s + s.transposed, problem.u) * -problem.alpha
        assertClose(lambdaGradient.scalars, expectedLambdaGradient)
        assertClose(uGradient.scalars, expectedUGradient)
    }

    // MARK: MAML-style gradient through an inner SGD step.

    func testGradientThroughInnerStepMatchesFiniteDifferences() {
        var generator = SeededGenerator(seed: 11)
        let x = random([5, 3], &generator), y = random([5, 2], &generator)
        let xQuery = random([4, 3], &generator), yQuery = random([4, 2], &generator)
        func loss(_ w1: Tensor, _ w2: Tensor, _ input: Tensor, _ target: Tensor) -> Tensor {
            let d = matmul(tanh(matmul(input, w1)), w2) - target
            return (d * d).mean()
        }
        let innerRate: Float = 0.3
        let outer: ([Tensor]) -> Tensor = { ws in
            let tracked = ws.map { $0.isTracked ? $0 : $0.tracked() }
            let inner = grad(of: loss(tracked[0], tracked[1], x, y), wrt: tracked, createGraph: true)
            return loss(tracked[0] - inner[0] * innerRate, tracked[1] - inner[1] * innerRate, xQuery, yQuery)
        }
        let w1 = random([3, 4], &generator, scale: 0.7), w2 = random([4, 2], &generator, scale: 0.7)
        let (_, analytic) = valueAndGrad(at: [w1, w2], outer)
        for (index, w) in [w1, w2].enumerated() {
            for position in 0..<w.count {
                var values = w.scalars
                let h: Float = 3e-3
                values[position] += h
                var plusInputs = [w1, w2]; plusInputs[index] = Tensor(shape: w.shape, scalars: values)
                values[position] -= 2 * h
                var minusInputs = [w1, w2]; minusInputs[index] = Tensor(shape: w.shape, scalars: values)
                let numeric = (outer(plusInputs).scalar - outer(minusInputs).scalar) / (2 * h)
                XCTAssertEqual(analytic[index].scalars[position], numeric, accuracy: 2e-3 * max(1, Swift.abs(numeric)))
            }
        }
    }

    // MARK: Tape mechanics.

    func testGradientsAccumulateOverSharedUse() {
        let x = Tensor(shape: [2], scalars: [1, 2]).tracked()
        let y = (x * x + x * 3).sum()
        XCTAssertEqual(grad(of: y, wrt: [x])[0].scalars, [5, 7])
    }

    func testGradientWithRespectToIntermediateStopsThere() {
        let w = Tensor(shape: [2], scalars: [1, -1]).tracked()
        let z = w * 2
        let loss = (z * z).sum()
        let gradients = grad(of: loss, wrt: [z], retainGraph: true)
        XCTAssertEqual(gradients[0].scalars, [4, -4])
        XCTAssertEqual(grad(of: loss, wrt: [w])[0].scalars, [8, -8])
    }

    func testUnrelatedInputGetsZeros() {
        let a = Tensor(shape: [3], scalars: [1, 2, 3]).tracked(), b = Tensor(shape: [2], scalars: [1, 1]).tracked()
        XCTAssertEqual(grad(of: a.sum(), wrt: [b])[0].scalars, [0, 0])
    }

    func testConstantsAreNotRecorded() {
        let a = Tensor(shape: [2], scalars: [1, 2]), b = Tensor(shape: [2], scalars: [3, 4])
        XCTAssertFalse((a * b).isTracked)
        let t = a.tracked()
        XCTAssertTrue((t * b).isTracked)
        XCTAssertFalse(Tape.withoutRecording { t * b }.isTracked)
    }

    func testRetainedGraphCanBeDifferentiatedTwice() {
        let x = Tensor(shape: [2], scalars: [1, 2]).tracked()
        let z = (x * x).sum()
        let first = grad(of: z, wrt: [x], retainGraph: true)[0]
        let second = grad(of: z, wrt: [x])[0]
        XCTAssertEqual(first.scalars, [2, 4])
        XCTAssertEqual(second.scalars, first.scalars)
    }

    func testLongChainTeardownAndBackwardDoNotOverflowTheStack() {
        let x = Tensor(shape: [4], scalars: [1, 2, 3, 4]).tracked()
        var y = x
        for _ in 0..<200_000 { y = y + 1e-6 }
        let gradient = grad(of: y.sum(), wrt: [x], retainGraph: true)[0]
        XCTAssertEqual(gradient.scalars, [1, 1, 1, 1])
        y = Tensor(0)   // drops the 200,000-node chain
        var z = x
        for _ in 0..<200_000 { z = z * 1.0 }
        z = Tensor(0)
        XCTAssertEqual(z.scalar, 0)
    }

    func testMemoryReturnsToItsLevelAfterATrainingStep() {
        var generator = SeededGenerator(seed: 5)
        let model = Sequential([Linear(name: "a", inputSize: 16, outputSize: 32), ReLU(), Linear(name: "b", inputSize: 32, outputSize: 4)])
        var parameters = model.initialParameters(generator: &generator)
        let x = random([64, 16], &generator), target = random([64, 4], &generator)
        let optimizer = SGD(momentum: 0.9)
        var state = optimizer.initialState(for: parameters)
        func step() {
            let tracked = parameters.tracked()
            let d = model(x, ForwardContext(parameters: tracked, isTraining: true)) - target
            let gradients = grad(of: (d * d).mean(), wrt: tracked)
            (parameters, state) = optimizer.step(parameters: parameters, gradients: gradients, state: state, learningRate: 0.01)
        }
        step()
        let level = TensorMemory.liveBytes
        for _ in 0..<5 { step() }
        XCTAssertEqual(TensorMemory.liveBytes, level, "live tensor memory grew across training steps")
    }
}
