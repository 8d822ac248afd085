import XCTest
import TandemStrategies

/// FairGrad (STRATEGIES.md §13k): the positive root of (Mw)_t = w_t^{−1/α}.
final class FairGradSolverTests: XCTestCase {
    func testSpecificationVectors() throws {
        let g2 = MathFixtures.matrix(MathFixtures.g2), g3 = MathFixtures.matrix(MathFixtures.g3)
        let cases: [(gram: [[Double]], matrix: TaskGradientMatrix, alpha: Double, w: [Double], d: [Double]?)] = [
            (MathFixtures.m2, g2, 1, [0.461723, 0.604537], [0.318909, 1.36853, -0.159454]),
            (MathFixtures.m2, g2, 2, [0.361432, 0.50523], [0.217634, 1.11928, -0.108817]),
            (MathFixtures.m2, g2, 0.5, [0.593386, 0.720271], [0.466501, 1.67379, -0.233251]),
            (MathFixtures.m3, g3, 1, [0.901809, 0.517579, 0.801969], [0.267636, 1.11824, 0.960918, -0.868643]),
            (MathFixtures.m3, g3, 2, [0.838828, 0.435971, 0.74297], [0.33837, 0.999171, 0.865098, -0.759527]),
            (MathFixtures.m3, g3, 0.5, [0.963436, 0.628392, 0.863149], [0.138227, 1.26054, 1.07706, -1.00982]),
        ]
        for c in cases {
            let solution = try FairGradSolver.solve(gram: c.gram, alpha: c.alpha)
            XCTAssertLessThan(solution.residual, 1e-10, "α = \(c.alpha)")
            assertClose(solution.weights, c.w, "T = \(c.gram.count), α = \(c.alpha)")
            if let d = c.d { assertClose(try c.matrix.combine(weights: solution.weights), d, "d, α = \(c.alpha)") }
        }
        // α = 1 is Nash-MTL's equation.
        let nash = try NashBargainingSolver.solve(gram: MathFixtures.m3)
        assertClose(try FairGradSolver.solve(gram: MathFixtures.m3, alpha: 1).weights, nash.weights, relative: 1e-9)
        // α → ∞ tends to M w = 1 (the spec's w = [0.72051, 0.326115, 0.635414] for G3).
        assertClose(try FairGradSolver.solve(gram: MathFixtures.m3, alpha: 1e6).weights, [0.72051, 0.326115, 0.635414], relative: 1e-4)
        // The reference's shared .grad at α = 2: T·d.
        let d = try g2.combine(weights: FairGradSolver.solve(gram: MathFixtures.m2, alpha: 2).weights)
        assertClose(d.map { 2 * $0 }, [0.435267, 2.23856, -0.217634], "T·d")
    }

    func testScalingLaw() throws {
        // The root of sM is s^{−α/(1+α)} times the root of M.
        let base = try FairGradSolver.solve(gram: MathFixtures.m3, alpha: 2).weights
        let scaled = try FairGradSolver.solve(gram: MathFixtures.m3.map { $0.map { $0 * 1e4 } }, alpha: 2).weights
        assertClose(scaled, base.map { $0 * Foundation.pow(1e4, -2.0 / 3) }, relative: 1e-9)
    }

    func testNoPositiveRootIsReportedNotHidden() {
        // A zero gradient.
        assertThrowsMathError(try FairGradSolver.solve(gram: [[1, 0], [0, 0]], alpha: 1)) {
            if case .noSolution = $0 { return true }; return false
        }
        // Opposite gradients (0 in their convex cone): no positive root for any α.
        for alpha in [0.5, 1, 2] {
            assertThrowsMathError(try FairGradSolver.solve(gram: [[1, -1], [-1, 1]], alpha: alpha), "α = \(alpha)") {
                if case .noSolution = $0 { return true }; return false
            }
        }
        assertThrowsMathError(try FairGradSolver.solve(gram: MathFixtures.m2, alpha: 0)) {
            if case .invalidArgument = $0 { return true }; return false
        }
    }
}
