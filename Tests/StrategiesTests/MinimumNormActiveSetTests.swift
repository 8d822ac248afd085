import XCTest
import TandemStrategies

/// The exact min-norm solver (issue 12, "MGDA accuracy"): STRATEGIES.md §6 vectors, the
/// ill-conditioned T = 5 case where Frank-Wolfe stalls, and random problems against brute force.
final class MinimumNormActiveSetTests: XCTestCase {
    func testSpecificationVectors() throws {
        let t1 = try MinimumNormSolver.exact(gram: MathFixtures.m2)
        XCTAssertTrue(t1.converged)
        assertClose(t1.weights, [0.391304, 0.608696], "T1")
        assertClose(t1.squaredNorm, 1.73913, "T1 ‖d‖²")

        let t2 = try MinimumNormSolver.exact(gram: MathFixtures.m3)
        XCTAssertTrue(t2.converged)
        assertClose(t2.weights, [0.428355, 0.193881, 0.377764], "T2 exact QP α")
        assertClose(t2.squaredNorm, 0.594517, "T2 ‖d‖²")

        let g = MathFixtures.matrix(MathFixtures.g3)
        let l2 = try GradientNormalization.l2.normalizers(rowNorms: g.rowNorms(), losses: [])
        assertClose(try MinimumNormSolver.exact(gram: GradientNormalization.normalize(gram: g.gram(), by: l2)).weights,
                    [0.412597, 0.184057, 0.403346], "l2")
        let lossPlus = try GradientNormalization.lossPlus.normalizers(rowNorms: g.rowNorms(), losses: MathFixtures.l3)
        let alpha = try MinimumNormSolver.exact(gram: GradientNormalization.normalize(gram: g.gram(), by: lossPlus)).weights
        assertClose(alpha, [0.203947, 0.179282, 0.616771], "loss+")
        assertClose(try g.combine(weights: alpha), [0.153769, -0.337982, 1.11924, -0.69408], "loss+ raw Σα g")
    }

    func testBoundarySolutionsAndDegenerateInputs() throws {
        // v1 is the min-norm point (b ≥ a): α = (1, 0), no 0.999 clip.
        XCTAssertEqual(try MinimumNormSolver.exact(gram: [[1, 2], [2, 5]]).weights, [1, 0])
        // One task; M = 0 (every α optimal: uniform); identical gradients (non-unique α, same d).
        XCTAssertEqual(try MinimumNormSolver.exact(gram: [[4]]).weights, [1])
        XCTAssertEqual(try MinimumNormSolver.exact(gram: [[0, 0], [0, 0]]).weights, [0.5, 0.5])
        let identical = try MinimumNormSolver.exact(gram: [[2, 2, 2], [2, 2, 2], [2, 2, 2]])
        XCTAssertTrue(identical.converged)
        XCTAssertEqual(identical.weights.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(identical.squaredNorm, 2, accuracy: 1e-12)
        // Opposite gradients: 0 is in the hull.
        let opposite = try MinimumNormSolver.exact(gram: [[1, -1], [-1, 1]])
        XCTAssertEqual(opposite.squaredNorm, 0, accuracy: 1e-14)
        assertThrowsMathError(try MinimumNormSolver.exact(gram: [[1, 0]])) { if case .notSquare = $0 { return true }; return false }
        assertThrowsMathError(try MinimumNormSolver.exact(gram: [])) { if case .tooFewTasks = $0 { return true }; return false }
    }

    /// T = 5, Gram eigenvalues spread ×500: the exact solver is within 1e-6 of brute force on the
    /// weights; Frank-Wolfe (250 iterations, stop 1e-5) is not within 1e-4 on at least some of them.
    func testIllConditionedFiveTasks() throws {
        var generator = SplitMix64(seed: 12)
        var frankWolfeMisses = 0
        for trial in 0..<40 {
            let gram = BruteForce.illConditionedGram(taskCount: 5, spread: 500, using: &generator)
            let reference = BruteForce.minimumNorm(gram)
            let exact = try MinimumNormSolver.exact(gram: gram)
            XCTAssertTrue(exact.converged, "trial \(trial)")
            assertClose(exact.weights, reference, relative: 0, absolute: 1e-6, "trial \(trial)")
            let frankWolfe = try MinimumNormSolver.frankWolfe(gram: gram)
            if zip(frankWolfe.weights, reference).contains(where: { abs($0 - $1) > 1e-4 }) { frankWolfeMisses += 1 }
        }
        XCTAssertGreaterThan(frankWolfeMisses, 0, "the ill-conditioned family should defeat plain Frank-Wolfe")
    }

    /// MGDA itself uses the exact solver: the fixture's ill-conditioned T = 5 case (eigenvalues
    /// spread ×500) within 1e-4 of brute force on the weights; Frank-Wolfe only as an option.
    func testMGDAUsesTheExactSolver() throws {
        let c = PeerVectors.caseNamed("illconditioned-T5-P7")
        let reference = BruteForce.minimumNorm(c.gram)
        let solution = try MinimumNormSolver.solve(gram: c.gram, method: MGDA().solver)
        XCTAssertTrue(solution.converged)
        assertClose(solution.weights, reference, relative: 0, absolute: 1e-4, "exact")
        let frankWolfe = try MinimumNormSolver.solve(gram: c.gram, method: .frankWolfe)
        XCTAssertTrue(zip(frankWolfe.weights, reference).contains { abs($0 - $1) > 1e-4 }, "Frank-Wolfe stalls here: \(frankWolfe.weights) vs \(reference)")
        let d = c.direction(solution.weights), stalled = c.direction(frankWolfe.weights)
        XCTAssertGreaterThan(relativeDeviation(stalled, d), 0.05, "the stalled direction is visibly off")
        // The reference clip applies to T = 2 only as an option.
        let clipped = try MinimumNormSolver.solve(gram: [[1, 2], [2, 5]], referenceClip: true)
        assertClose(clipped.weights, [0.999, 0.001], relative: 0, absolute: 1e-15, "clip")
        XCTAssertEqual(try MinimumNormSolver.solve(gram: [[1, 2], [2, 5]]).weights, [1, 0])
    }

    /// Random problems, T = 2…8, full rank and rank-deficient (P < T): the objective equals brute
    /// force to 1e-10 relative, the weights match where the answer is unique (full rank).
    func testRandomProblemsAgainstBruteForce() throws {
        var generator = SplitMix64(seed: 7)
        for trial in 0..<150 {
            let t = 2 + trial % 7
            let p = trial % 3 == 0 ? max(1, t - 2) : t + 3
            let gram = BruteForce.randomGram(taskCount: t, width: p, using: &generator)
            let reference = BruteForce.minimumNorm(gram)
            let exact = try MinimumNormSolver.exact(gram: gram)
            XCTAssertTrue(exact.converged, "trial \(trial)")
            XCTAssertTrue(exact.weights.allSatisfy { $0 >= 0 }, "trial \(trial)")
            XCTAssertEqual(exact.weights.reduce(0, +), 1, accuracy: 1e-12)
            let best = BruteForce.quadratic(gram, reference)
            XCTAssertEqual(exact.squaredNorm, best, accuracy: 1e-10 * max(1, gram[0][0]), "trial \(trial) T \(t) P \(p)")
            if p >= t { assertClose(exact.weights, reference, relative: 0, absolute: 1e-7, "trial \(trial)") }
        }
    }

    func testNonnegativeQuadraticProgramKKT() throws {
        // min ½xᵀQx − cᵀx, x ≥ 0 with Q = [[2,1],[1,2]], c = [1, −1]: x = (0.5, 0), w = (0, −1.5).
        let answer = try NonnegativeQuadraticProgram.solve(q: [[2, 1], [1, 2]], c: [1, -1])
        XCTAssertTrue(answer.converged)
        assertClose(answer.x, [0.5, 0], relative: 0, absolute: 1e-14)
        XCTAssertLessThan(answer.kktResidual, 1e-14)
        // c ≤ 0 ⇒ x = 0.
        XCTAssertEqual(try NonnegativeQuadraticProgram.solve(q: [[1, 0], [0, 1]], c: [-1, 0]).x, [0, 0])
        assertThrowsMathError(try NonnegativeQuadraticProgram.solve(q: [[1, 0], [0, 1]], c: [1])) {
            if case .lengthMismatch = $0 { return true }; return false
        }
    }
}
