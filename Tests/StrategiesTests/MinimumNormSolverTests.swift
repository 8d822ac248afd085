import XCTest
import TandemStrategies

/// STRATEGIES.md §6 (MGDA-UB).
final class MinimumNormSolverTests: XCTestCase {
    func testTwoTaskClosedFormT1() throws {
        let g = MathFixtures.matrix(MathFixtures.g2)
        let gram = g.gram()
        let two = MinimumNormSolver.twoTask(a: gram[0][0], b: gram[0][1], c: gram[1][1])
        let alpha = [two.weightOnFirst, 1 - two.weightOnFirst]
        assertClose(alpha, [0.391304, 0.608696], "α")
        let d = try g.combine(weights: alpha)
        assertClose(d, [0.173913, 1.30435, -0.0869565], "d")
        assertClose(two.cost, 1.73913, "‖d‖²")
        assertClose([MathFixtures.dot(d, MathFixtures.g2[0]), MathFixtures.dot(d, MathFixtures.g2[1])], [1.73913, 1.73913], "d·g_t")
        let frankWolfe = try MinimumNormSolver.frankWolfe(gram: gram)
        assertClose(frankWolfe.weights, alpha, relative: 0, absolute: 1e-12, "T = 2 goes to the closed form")
    }

    func testTwoTaskClippingAndReferenceCompatibility() {
        // b ≥ a: v1 is the min-norm point.
        XCTAssertEqual(MinimumNormSolver.twoTask(a: 1, b: 2, c: 5), .init(weightOnFirst: 1, cost: 1))
        XCTAssertEqual(MinimumNormSolver.twoTask(a: 1, b: 2, c: 5, referenceCompatible: true), .init(weightOnFirst: 0.999, cost: 1))
        // b ≥ c: v2 is.
        XCTAssertEqual(MinimumNormSolver.twoTask(a: 5, b: 2, c: 1), .init(weightOnFirst: 0, cost: 1))
        XCTAssertEqual(MinimumNormSolver.twoTask(a: 5, b: 2, c: 1, referenceCompatible: true), .init(weightOnFirst: 0.001, cost: 1))
    }

    func testFrankWolfeReachesTheQuadraticProgramSolutionT2() throws {
        let exact = [0.428355, 0.193881, 0.377764]
        for initialisation in MinimumNormSolver.Initialisation.allCases {
            for compatible in [false, true] {
                let solution = try MinimumNormSolver.frankWolfe(gram: MathFixtures.m3, initialisation: initialisation,
                                                                referenceCompatible: compatible)
                XCTAssertTrue(solution.converged, "\(initialisation) did not converge")
                XCTAssertLessThanOrEqual(solution.iterations, 250)
                assertClose(solution.weights, exact, relative: 0, absolute: 1e-4, "\(initialisation), compatible \(compatible)")
                assertClose(solution.squaredNorm, 0.594517, relative: 1e-5)
            }
        }
        // The exact QP point: d·g_t = ‖d‖² for every t (all α_t > 0).
        let g = MathFixtures.matrix(MathFixtures.g3)
        let d = try g.combine(weights: exact)
        assertClose(d, [0.229476, 0.483944, 0.424114, -0.357467], relative: 2e-5, "d")
        for row in MathFixtures.g3 { assertClose(MathFixtures.dot(d, row), 0.594517, relative: 2e-5, "d·g_t") }
    }

    func testBestPairInitialisation() throws {
        let pair = try MinimumNormSolver.bestPair(gram: MathFixtures.m3)
        XCTAssertEqual([pair.first, pair.second], [0, 2])
        assertClose(pair.weights, [0.526316, 0, 0.473684], "best pair")
    }

    func testNormalisations() throws {
        let g = MathFixtures.matrix(MathFixtures.g3)
        let norms = g.rowNorms()
        let l2 = try GradientNormalization.l2.normalizers(rowNorms: norms, losses: [])
        let l2Solution = try MinimumNormSolver.frankWolfe(gram: GradientNormalization.normalize(gram: g.gram(), by: l2))
        assertClose(l2Solution.weights, [0.412597, 0.184057, 0.403346], relative: 0, absolute: 1e-4, "l2")

        let lossPlus = try GradientNormalization.lossPlus.normalizers(rowNorms: norms, losses: MathFixtures.l3)
        for initialisation in MinimumNormSolver.Initialisation.allCases {
            let solution = try MinimumNormSolver.frankWolfe(gram: GradientNormalization.normalize(gram: g.gram(), by: lossPlus),
                                                            initialisation: initialisation)
            assertClose(solution.weights, [0.203947, 0.179282, 0.616771], relative: 0, absolute: 1e-4, "loss+")
            // α weights the raw losses, so the direction is Σ α_t g_t on the raw gradients.
            assertClose(try g.combine(weights: solution.weights), [0.153769, -0.337982, 1.11924, -0.69408],
                        relative: 0, absolute: 1e-4, "loss+ raw direction")
        }
        XCTAssertEqual(try GradientNormalization.none.normalizers(rowNorms: norms, losses: []), [1, 1, 1])
        XCTAssertEqual(try GradientNormalization.loss.normalizers(rowNorms: norms, losses: MathFixtures.l3), MathFixtures.l3)
        assertThrowsMathError(try GradientNormalization.loss.normalizers(rowNorms: norms, losses: [1]))
        assertThrowsMathError(try GradientNormalization.l2.normalizers(rowNorms: [1, 0], losses: []))
        XCTAssertEqual(try GradientNormalization.l2.normalizers(rowNorms: [1, 0], losses: [], epsilon: 1e-8), [1 + 1e-8, 1e-8])
    }

    /// §6-T3: full-tensor vs batch-summed inner products of representation gradients.
    func testRepresentationConventionsT3() throws {
        let h = try TaskGradientMatrix(rows: [[1, 0, 0, 1], [-1, 0.5, 0.5, -0.5]])
        let full = try MinimumNormSolver.frankWolfe(gram: h.gram())
        assertClose(full.weights, [0.481481, 0.518519], "full tensor")
        assertClose(try h.combine(weights: full.weights), [-0.037037, 0.259259, 0.259259, 0.222222], "combined h")
        let summed = try MinimumNormSolver.frankWolfe(gram: h.summedOverBatch(batchSize: 2).gram())
        assertClose(summed.weights, [0.230769, 0.769231], "batch summed")
    }

    func testMinimumNormProperties() throws {
        // One task: α = 1. Identical gradients: any α is optimal and the norm is that of g.
        XCTAssertEqual(try MinimumNormSolver.frankWolfe(gram: [[4]]).weights, [1])
        let same = try MinimumNormSolver.frankWolfe(gram: [[2, 2, 2], [2, 2, 2], [2, 2, 2]])
        assertClose(same.weights.reduce(0, +), 1, "simplex")
        assertClose(same.squaredNorm, 2, "norm")
        assertThrowsMathError(try MinimumNormSolver.frankWolfe(gram: []))
        assertThrowsMathError(try MinimumNormSolver.frankWolfe(gram: [[1, 2], [2]]))
        assertThrowsMathError(try MinimumNormSolver.frankWolfe(gram: MathFixtures.m3, maximumIterations: -1))
    }
}
