import XCTest
import TandemStrategies

/// UPGrad (§13h) and DualProj (§13i) weights on the exact QP and with the peers' regularisation.
final class DualConeProjectionTests: XCTestCase {
    func testUPGradSpecificationVectors() throws {
        let g2 = MathFixtures.matrix(MathFixtures.g2), g3 = MathFixtures.matrix(MathFixtures.g3)
        let p1 = try DualConeProjection.weights(gram: MathFixtures.m2, lowerBounds: [0.5, 0])
        assertClose(p1.weights, [0.5, 0.142857], "v*(e1/2)")
        assertClose(try DualConeProjection.weights(gram: MathFixtures.m2, lowerBounds: [0, 0.5]).weights, [0.0833333, 0.5], "v*(e2/2)")

        let exact2 = try UPGradWeights.weights(gram: MathFixtures.m2)
        XCTAssertTrue(exact2.converged)
        assertClose(exact2.weights, [0.583333, 0.642857], "G2 exact w")
        assertClose(try g2.combine(weights: exact2.weights), [0.52381, 1.54762, -0.261905], "G2 d = PCGrad mean")
        let peer2 = try UPGradWeights.weights(gram: MathFixtures.m2, numerics: .peer)
        assertClose(peer2.weights, [0.58332, 0.642818], "G2 peer w")
        assertClose(try g2.combine(weights: peer2.weights), [0.523822, 1.54755, -0.261911], "G2 peer d")

        let third = 1.0 / 3
        assertClose(try DualConeProjection.weights(gram: MathFixtures.m3, lowerBounds: [third, 0, 0]).weights,
                    [0.333333, 0.0714924, 0.226988], "v*(e1/3)")
        assertClose(try DualConeProjection.weights(gram: MathFixtures.m3, lowerBounds: [0, third, 0]).weights,
                    [0.152381, 0.333333, 0.12381], "v*(e2/3)")
        assertClose(try DualConeProjection.weights(gram: MathFixtures.m3, lowerBounds: [0, 0, third]).weights,
                    [0.278051, 0.0711549, 0.333333], "v*(e3/3)")
        let exact3 = try UPGradWeights.weights(gram: MathFixtures.m3)
        assertClose(exact3.weights, [0.763766, 0.475981, 0.684131], "G3 exact w")
        let d3 = try g3.combine(weights: exact3.weights)
        assertClose(d3, [0.15387, 0.977315, 0.842487, -0.778229], "G3 d")
        assertClose(MathFixtures.g3.map { MathFixtures.dot(d3, $0) }, [0.876899, 1.86905, 1.07417], relative: 2e-5, "G d")
        let peer3 = try UPGradWeights.weights(gram: MathFixtures.m3, numerics: .peer)
        assertClose(peer3.weights, [0.76351, 0.475915, 0.683929], "G3 peer w")
        assertClose(try g3.combine(weights: peer3.weights), [0.153644, 0.977042, 0.842305, -0.778089], "G3 peer d")

        let preference = [0.8, 0.1, 0.1]
        let preferred = try UPGradWeights.weights(gram: MathFixtures.m3, preference: preference)
        assertClose(preferred.weights, [0.92913, 0.292928, 0.681915], "G3 p exact w")
        assertClose(try g3.combine(weights: preferred.weights), [0.684231, 1.12832, 0.581164, -0.510278], "G3 p exact d")
        let preferredPeer = try UPGradWeights.weights(gram: MathFixtures.m3, preference: preference, numerics: .peer)
        assertClose(try g3.combine(weights: preferredPeer.weights), [0.684215, 1.12837, 0.580818, -0.510047], "G3 p peer d")

        // torchjd's docstring example J = [[−4,1,1],[6,1,1]] (peer defaults).
        let j: [[Float]] = [[-4, 1, 1], [6, 1, 1]]
        let m = MathFixtures.matrix(j)
        let example = try UPGradWeights.weights(gram: m.gram(), numerics: .peer)
        assertClose(example.weights, [1.11092, 0.789431], "docstring w")
        assertClose(try m.combine(weights: example.weights), [0.292902, 1.90035, 1.90035], "docstring d")
    }

    func testDualProjSpecificationVectors() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        for numerics in [DualConeProjection.Numerics.exact, .peer] {
            // The mean conflicts with no task in G2 and G3: w = p exactly, with or without reg.
            XCTAssertEqual(try DualProjWeights.weights(gram: MathFixtures.m2, numerics: numerics).weights, [0.5, 0.5])
            XCTAssertEqual(try DualProjWeights.weights(gram: MathFixtures.m3, numerics: numerics).weights, [1.0 / 3, 1.0 / 3, 1.0 / 3])
        }
        let exact = try DualProjWeights.weights(gram: MathFixtures.m3, preference: [0.8, 0.1, 0.1])
        assertClose(exact.weights, [0.8, 0.171582, 0.544772], "exact w")
        let d = try g3.combine(weights: exact.weights)
        assertClose(d, [0.729223, 0.954424, 0.375335, -0.316354], "exact d")
        assertClose(MathFixtures.g3.map { MathFixtures.dot(d, $0) }, [2.10456, 0, 0], relative: 1e-5, absolute: 1e-6, "G d")
        let peer = try DualProjWeights.weights(gram: MathFixtures.m3, preference: [0.8, 0.1, 0.1], numerics: .peer)
        assertClose(peer.weights, [0.8, 0.171515, 0.544622], "peer w")
        assertClose(try g3.combine(weights: peer.weights), [0.729281, 0.954581, 0.375002, -0.316137], "peer d")
    }

    /// Random lower-bounded QPs (T = 2…7, some rank-deficient) against brute force; G v ≥ 0 after
    /// projecting (the defining property of the dual cone).
    func testRandomProjectionsAgainstBruteForce() throws {
        var generator = SplitMix64(seed: 3)
        for trial in 0..<120 {
            let t = 2 + trial % 6
            let p = trial % 4 == 0 ? max(1, t - 1) : t + 2
            let gram = BruteForce.randomGram(taskCount: t, width: p, using: &generator)
            let u = (0..<t).map { _ in Double.random(in: 0..<1, using: &generator) }
            let reference = BruteForce.lowerBounded(gram, u)
            let answer = try DualConeProjection.weights(gram: gram, lowerBounds: u)
            XCTAssertTrue(answer.converged, "trial \(trial)")
            XCTAssertTrue(zip(answer.weights, u).allSatisfy { $0 >= $1 - 1e-12 }, "v ≥ u, trial \(trial)")
            let scale = (0..<t).reduce(0) { $0 + gram[$1][$1] }
            XCTAssertEqual(BruteForce.quadratic(gram, answer.weights), BruteForce.quadratic(gram, reference),
                           accuracy: 1e-10 * scale, "trial \(trial)")
            XCTAssertTrue(MathFixtures.matrixVector(gram, answer.weights).allSatisfy { $0 >= -1e-9 * scale }, "G d ≥ 0, trial \(trial)")
            if p >= t { assertClose(answer.weights, reference, relative: 1e-7, absolute: 1e-9, "trial \(trial)") }
        }
    }

    func testInvalidInputsThrow() {
        assertThrowsMathError(try UPGradWeights.weights(gram: MathFixtures.m2, preference: [1, -1])) {
            if case .invalidArgument = $0 { return true }; return false
        }
        assertThrowsMathError(try DualProjWeights.weights(gram: MathFixtures.m2, preference: [1])) {
            if case .lengthMismatch = $0 { return true }; return false
        }
        assertThrowsMathError(try DualConeProjection.weights(gram: MathFixtures.m2, lowerBounds: [0, 0],
                                                             numerics: .init(normEpsilon: -1, regularisationEpsilon: 0))) {
            if case .invalidArgument = $0 { return true }; return false
        }
        // M = 0: every task is orthogonal to everything, v* = u.
        XCTAssertEqual(try UPGradWeights.weights(gram: [[0, 0], [0, 0]]).weights, [0.5, 0.5])
    }
}
