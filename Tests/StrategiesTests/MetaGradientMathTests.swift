import XCTest
import TandemStrategies

/// STRATEGIES.md §7 (Auto-λ), §11 (TMT), §12 (IAL).
final class MetaGradientMathTests: XCTestCase {
    // MARK: Auto-λ

    let centres: [[Double]] = [[1, 0], [0, 2], [-1, -1]]
    let validationCentre: [Double] = [1.2, -0.1]
    func trainLoss(_ t: Int, _ theta: [Double]) -> Double { 0.5 * zip(theta, centres[t]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    func trainGradient(_ t: Int, _ theta: [Double]) -> [Double] { zip(theta, centres[t]).map { $0 - $1 } }

    func autoLambda(momentum: Double, buffer: [Double]?, weightDecay: Double) throws -> (thetaPrime: [Double], v: [Double], epsilon: Double, grad: [Double]) {
        let theta = [0.5, 0.5], lambda = [0.1, 0.1, 0.1], alpha = 0.1
        let g = (0..<2).map { p in (0..<3).reduce(0.0) { $0 + lambda[$1] * trainGradient($1, theta)[p] } }
        let thetaPrime = try AutoLambdaHypergradient.virtualStep(parameters: theta, gradient: g, learningRate: alpha,
                                                                 momentum: momentum, buffer: buffer, weightDecay: weightDecay)
        let v = zip(thetaPrime, validationCentre).map { $0 - $1 }
        let epsilon = try AutoLambdaHypergradient.epsilon(direction: v)
        let (plus, minus) = try AutoLambdaHypergradient.perturbedParameters(parameters: theta, direction: v, epsilon: epsilon)
        let grad = try AutoLambdaHypergradient.hypergradient(lossesPlus: (0..<3).map { trainLoss($0, plus) },
                                                             lossesMinus: (0..<3).map { trainLoss($0, minus) },
                                                             epsilon: epsilon, learningRate: alpha)
        return (thetaPrime, v, epsilon, grad)
    }

    func testAutoLambda() throws {
        let plain = try autoLambda(momentum: 0, buffer: nil, weightDecay: 0)
        assertClose(plain.thetaPrime, [0.485, 0.495], "θ'")
        assertClose(0.5 * plain.v.reduce(0) { $0 + $1 * $1 }, 0.432625, "L_val(θ')")
        assertClose(plain.v, [-0.715, 0.595], "v")
        assertClose(plain.epsilon, 0.0107505, "ε")
        assertClose(plain.grad.map { $0 / -0.1 }, [0.655, -1.25, -0.18], relative: 1e-9, "h")
        assertClose(plain.grad, [-0.0655, 0.125, 0.018], relative: 1e-9, "grad_λ")
        // Exact: −α ∇L_t(θ)·v.
        assertClose(plain.grad, (0..<3).map { -0.1 * MathFixtures.dot(trainGradient($0, [0.5, 0.5]), plain.v) }, relative: 1e-9, "exact")
        // First Adam step on λ (lr 1e-4).
        let lambda = try LookaheadStep.adam(parameters: [0.1, 0.1, 0.1], gradient: plain.grad, learningRate: 1e-4,
                                            firstMoment: [0, 0, 0], secondMoment: [0, 0, 0], completedSteps: 0).parameters
        assertClose(lambda, [0.1001, 0.0999, 0.0999], "λ after Adam")

        let momentum = try autoLambda(momentum: 0.9, buffer: [0.2, -0.1], weightDecay: 1e-4)
        assertClose(momentum.thetaPrime, [0.466995, 0.503995], "θ' with momentum")
        assertClose(momentum.v, [-0.733005, 0.603995], "v")
        assertClose(momentum.epsilon, 0.0105286, "ε")
        assertClose(momentum.grad, [-0.06685, 0.127249, 0.0193515], "grad_λ")
        assertThrowsMathError(try AutoLambdaHypergradient.epsilon(direction: [0.0, 0]))
        assertThrowsMathError(try AutoLambdaHypergradient.hypergradient(lossesPlus: [1], lossesMinus: [1, 2], epsilon: 0.1, learningRate: 0.1))
    }

    // MARK: TMT

    let x: [[Double]] = [[1, 0.5], [-0.5, 2]]
    let a: [[Double]] = [[0.5, 0, -0.5], [1, 1, 0]]
    let projection: [[Double]] = [[1, 0.5, -1], [0, 1, 2]]
    let p: [[Double]] = [[0.3, -0.2], [1, 0.5]]
    let w0: [[Double]] = [[0.2, -0.1], [0.4, 0.3], [-0.3, 0.1]]

    func outputs(_ w: [[Double]]) -> [[Double]] { x.map { MathFixtures.matrixVector(w, $0) } }
    func primaryLoss(_ w: [[Double]]) -> Double {
        outputs(w).enumerated().reduce(0.0) { total, item in
            let r = zip(MathFixtures.matrixVector(projection, item.element), p[item.offset]).map { $0 - $1 }
            return total + 0.5 * r.reduce(0) { $0 + $1 * $1 } / 2
        }
    }
    func primaryGradient(_ w: [[Double]]) -> [[Double]] {
        var result = [[Double]](repeating: [0, 0], count: 3)
        for (b, o) in outputs(w).enumerated() {
            let r = zip(MathFixtures.matrixVector(projection, o), p[b]).map { $0 - $1 }
            let back = (0..<3).map { c in (0..<2).reduce(0.0) { $0 + projection[$1][c] * r[$1] } / 2 }
            for c in 0..<3 { for d in 0..<2 { result[c][d] += back[c] * x[b][d] } }
        }
        return result
    }
    var auxiliaryGradient: [[Double]] { outputs(w0).enumerated().map { b, o in zip(o, a[b]).map { ($0 - $1) / 2 } } }

    /// M g_A per sample in Double (the reference for the Float API and for finite differences).
    func transformed(lambda: [Double], u: [[Double]]) -> [Double] {
        auxiliaryGradient.flatMap { g -> [Double] in
            let projected = (0..<u[0].count).map { k in (0..<3).reduce(0.0) { $0 + u[$1][k] * g[$1] } }
            return (0..<3).map { c in lambda[c] * g[c] + (0..<projected.count).reduce(0.0) { $0 + u[c][$1] * projected[$1] } }
        }
    }

    /// Θ⁺(λ, U) = W − α Σ_b (M g_A,b) x_bᵀ.
    func updatedWeights(lambda: [Double], u: [[Double]], alpha: Double = 0.1) -> [[Double]] {
        let step = transformed(lambda: lambda, u: u)
        var w = w0
        for b in 0..<2 { for c in 0..<3 { for d in 0..<2 { w[c][d] -= alpha * step[b * 3 + c] * x[b][d] } } }
        return w
    }

    func testTaskMetaTransfer() throws {
        let lambda = [1.0, 1, 1], u: [[Double]] = [[0.1], [-0.2], [0.3]]
        assertClose(auxiliaryGradient.flatMap { $0 }, [-0.175, 0.275, 0.125, -0.65, -0.3, 0.175], "g_A")
        let api = try TaskMetaTransferGradient.transform(gradient: auxiliaryGradient.flatMap { $0.map(Float.init) }, channelCount: 3,
                                                         diagonal: lambda, lowRank: u)
        assertClose(api, transformed(lambda: lambda, u: u), relative: 1e-6, "M g_A")
        let plus = updatedWeights(lambda: lambda, u: u)
        assertClose(plus.flatMap { $0 }, [0.185588, 0.037975, 0.356325, 0.3478, -0.301987, 0.056425], "Θ⁺")
        assertClose(primaryLoss(w0), 0.666406, "L_P(Θ)")
        assertClose(primaryLoss(plus), 0.392903, "L_P(Θ⁺)")
        let v = primaryGradient(plus)
        let jvp = x.map { MathFixtures.matrixVector(v, $0) }
        assertClose(jvp.flatMap { $0 }, [0.021672, 0.261289, 0.479234, -2.06082, 0.17365, 4.46894], "u = Jv")
        // The finite-difference JVP is exact for this linear encoder.
        let epsilon = 0.01 / v.flatMap { $0 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let up = outputs(zip(w0, v).map { zip($0, $1).map { $0 + epsilon * $1 } }), down = outputs(zip(w0, v).map { zip($0, $1).map { $0 - epsilon * $1 } })
        assertClose(zip(up.flatMap { $0 }, down.flatMap { $0 }).map { ($0 - $1) / (2 * epsilon) }, jvp.flatMap { $0 }, relative: 1e-8, "FD-JVP")

        let meta = try TaskMetaTransferGradient.metaGradient(jacobianVectorProduct: jvp.flatMap { $0.map(Float.init) },
                                                             auxiliaryGradient: auxiliaryGradient.flatMap { $0.map(Float.init) },
                                                             channelCount: 3, innerLearningRate: 0.1, lowRank: u)
        assertClose(meta.diagonal, [-0.133574, -0.00197594, -0.0841968], "∇λ")
        assertClose(meta.lowRank.flatMap { $0 }, [0.0829956, 0.0305096, -0.0399688], "∇U")
        // Central differences on φ confirm the closed form.
        let h = 1e-6
        for c in 0..<3 {
            var up = lambda, down = lambda
            up[c] += h; down[c] -= h
            let numeric = (primaryLoss(updatedWeights(lambda: up, u: u)) - primaryLoss(updatedWeights(lambda: down, u: u))) / (2 * h)
            XCTAssertEqual(meta.diagonal[c], numeric, accuracy: 1e-6, "∂/∂λ_\(c)")
            var uUp = u, uDown = u
            uUp[c][0] += h; uDown[c][0] -= h
            let numericU = (primaryLoss(updatedWeights(lambda: lambda, u: uUp)) - primaryLoss(updatedWeights(lambda: lambda, u: uDown))) / (2 * h)
            XCTAssertEqual(meta.lowRank[c][0], numericU, accuracy: 1e-6, "∂/∂U_\(c)")
        }
        assertClose(zip(lambda, meta.diagonal).map { $0 - 0.5 * $1 }, [1.06679, 1.00099, 1.0421], "λ after SGD")
        assertClose(zip(u.flatMap { $0 }, meta.lowRank.flatMap { $0 }).map { $0 - 0.5 * $1 }, [0.0585022, -0.215255, 0.319984], "U after SGD")
        // U = 0: ∇U = 0.
        let zero = try TaskMetaTransferGradient.metaGradient(jacobianVectorProduct: jvp.flatMap { $0.map(Float.init) },
                                                             auxiliaryGradient: auxiliaryGradient.flatMap { $0.map(Float.init) },
                                                             channelCount: 3, innerLearningRate: 0.1, lowRank: [[0], [0], [0]])
        XCTAssertEqual(zero.lowRank.flatMap { $0 }, [0, 0, 0])
    }

    /// The transform mixes channels per spatial position of a B×C×H×W layout.
    func testTaskMetaTransferSpatialLayout() throws {
        // B = 1, C = 2, S = 2: g = [[c0: 1, 2], [c1: 3, 4]]; M = diag(1, 2) + [1, 1][1, 1]ᵀ.
        let out = try TaskMetaTransferGradient.transform(gradient: [1, 2, 3, 4], channelCount: 2, spatialCount: 2,
                                                         diagonal: [1, 2], lowRank: [[1], [1]])
        XCTAssertEqual(out, [Float(5), 8, 10, 14])
        assertThrowsMathError(try TaskMetaTransferGradient.transform(gradient: [1, 2, 3], channelCount: 2, diagonal: [1, 1], lowRank: [[0], [0]]))
        assertThrowsMathError(try TaskMetaTransferGradient.transform(gradient: [1, 2], channelCount: 2, diagonal: [1], lowRank: [[0], [0]]))
    }

    // MARK: IAL

    func testImpartialAuxiliaryGradient() throws {
        let primary: [Float] = [0.5, -1, 2], auxiliaries: [[Float]] = [[1, 0.5, 0], [-3, 1, 4]], sigma = [0.3, 0.8]
        let rectified = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: sigma)
        assertClose(rectified.normRatios, [2.04939, 0.449359], "norm ratios")
        assertClose(rectified.gateWeights, [0.7, 0.2], "f")
        assertClose(rectified.combined, [1.66496, -0.192842, 2.35949], "∇_z, g = max(0, y)")
        let doubled = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: sigma,
                                                             gate: .scaledRectified(slope: 2))
        assertClose(doubled.gateWeights, [1, 0.4], "f κ = 2")
        assertClose(doubled.combined, [2.01016, 0.204438, 2.71897], "∇_z, g = max(0, 2y)")
        let exponential = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: sigma, gate: .exponential)
        assertClose(exponential.gateWeights, [1, 0.221403], "f exp")
        assertClose(exponential.combined, [2.25092, 0.124184, 2.39796], "∇_z, g = e^y − 1")
        // σ ≥ 1 never flips or adds the auxiliary gradient.
        for gate in [ImpartialAuxiliaryGradient.Gate.rectified, .scaledRectified(slope: 2), .exponential] {
            XCTAssertEqual(gate.weight(uncertainty: 1), 0); XCTAssertEqual(gate.weight(uncertainty: 3), 0)
        }
        let silent = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: [1.5, 2])
        XCTAssertEqual(silent.combined, primary)
        // Per-sample norms: each slice rescaled to the primary slice's norm.
        let perSample = try ImpartialAuxiliaryGradient.combine(primary: [3, 4, 0, 1], auxiliaries: [[0, 2, 5, 0]], uncertainties: [0],
                                                               normScope: .perSample(batchSize: 2))
        assertClose(perSample.combined, [3, 9, 1, 1], "per sample")
        assertThrowsMathError(try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: [0.3]))
        assertThrowsMathError(try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliaries, uncertainties: sigma, normScope: .perSample(batchSize: 2)))
    }

    func testImpartialAuxiliaryUncertaintyAndDecoder() throws {
        let s = try ImpartialAuxiliaryDecoderWeights.logVariances(standardDeviations: [0.3, 0.8])
        assertClose(s, [-2.40795, -0.446287], "s")
        assertClose(ImpartialAuxiliaryDecoderWeights.headWeights(logVariances: s), [5.55556, 0.78125], "1/(2σ²)")
        assertClose(try ImpartialAuxiliaryDecoderWeights.logVarianceGradients(losses: [0.09, 1], logVariances: s), [0, -0.28125], absolute: 1e-12, "∂/∂s")
        // σ meanings and references.
        assertClose(try ImpartialAuxiliaryGradient.uncertainty(logVariance: s[0]), 0.3, "σ")
        assertClose(try ImpartialAuxiliaryGradient.uncertainty(logVariance: s[0], scale: .variance), 0.09, "σ²")
        assertClose(try ImpartialAuxiliaryGradient.uncertainty(logVariance: s[0], scale: .logVariance), s[0], "s")
        assertClose(try ImpartialAuxiliaryGradient.uncertainty(logVariance: s[0], reference: .relativeToPrimary, primaryLogVariance: s[1]), 0.375, "σ/σ_pri")
        assertClose(try ImpartialAuxiliaryGradient.uncertainty(logVariance: s[0], scale: .logVariance, reference: .relativeToInitial,
                                                               initialLogVariance: -2), s[0] + 2, "s − s(0)")
        assertThrowsMathError(try ImpartialAuxiliaryGradient.uncertainty(logVariance: 0, reference: .relativeToPrimary))
        assertThrowsMathError(try ImpartialAuxiliaryDecoderWeights.logVariances(standardDeviations: [0]))
    }
}
