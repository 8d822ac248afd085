import XCTest
import TandemStrategies

/// STRATEGIES.md §13a–c, §13g: CAGrad, IMTL, Nash-MTL and Aligned-MTL on M2 / M3.
final class GramSolverTests: XCTestCase {
    let g2 = MathFixtures.matrix(MathFixtures.g2)
    let g3 = MathFixtures.matrix(MathFixtures.g3)

    func testCAGrad() throws {
        let two = try CAGradSolver.solve(gram: g2.gram(), conflictAversion: 0.5)
        assertClose(two.simplexWeights, [0.142857, 0.857143], relative: 0, absolute: 1e-4, "G2 w")
        assertClose(try g2.combine(weights: two.directionWeights), [0.2, 1.5, -0.1], relative: 0, absolute: 1e-4, "G2 d")

        let half = try CAGradSolver.solve(gram: g3.gram(), conflictAversion: 0.5)
        assertClose(half.simplexWeights, [0.581857, 0, 0.418143], relative: 0, absolute: 1e-4, "G3 c=0.5 w")
        assertClose(try g3.combine(weights: half.directionWeights), [0.146476, 0.5898, 0.49001, -0.445005],
                    relative: 0, absolute: 1e-4, "G3 c=0.5 d")
        let fourTenths = try CAGradSolver.solve(gram: g3.gram(), conflictAversion: 0.4)
        assertClose(fourTenths.simplexWeights, [0.59735, 0, 0.40265], relative: 0, absolute: 1e-4, "G3 c=0.4 w")
        assertClose(try g3.combine(weights: fourTenths.directionWeights), [0.0943876, 0.607116, 0.493019, -0.462027],
                    relative: 0, absolute: 1e-4, "G3 c=0.4 d")
        // The solver actually reaches the minimiser: no point of a fine simplex grid is lower.
        var best = Double.infinity
        for i in 0...200 { for j in 0...(200 - i) {
            let w = [Double(i) / 200, Double(j) / 200, Double(200 - i - j) / 200]
            best = min(best, CAGradSolver.objective(gram: g3.gram(), weights: w, conflictAversion: 0.5))
        } }
        XCTAssertLessThanOrEqual(half.objective, best + 1e-12)
        // Rescalings: 0 none, 2: 1 + c.
        let none = try CAGradSolver.solve(gram: g3.gram(), conflictAversion: 0.5, rescaling: .none)
        assertClose(none.directionWeights, half.directionWeights.map { $0 * 1.25 }, relative: 1e-9, "rescale 0")
        let plusC = try CAGradSolver.solve(gram: g3.gram(), conflictAversion: 0.5, rescaling: .oneOverOnePlusC)
        assertClose(plusC.directionWeights, half.directionWeights.map { $0 * 1.25 / 1.5 }, relative: 1e-9, "rescale 2")
        // c = 0 is the mean gradient.
        assertClose(try CAGradSolver.solve(gram: g3.gram(), conflictAversion: 0).directionWeights, [1.0 / 3, 1.0 / 3, 1.0 / 3], "c = 0")
        XCTAssertLessThan(half.iterations, 1000, "projected gradient should converge quickly")
        assertThrowsMathError(try CAGradSolver.solve(gram: g3.gram(), conflictAversion: -1))
    }

    func testIMTLGradient() throws {
        let alpha = try IMTLGradientSolver.weights(gram: g3.gram())
        assertClose(alpha, [0.427625, 0.190761, 0.381614], "G3 α")
        let d = try g3.combine(weights: alpha)
        assertClose(d, [0.236909, 0.473591, 0.430983, -0.358562], "G3 d")
        for (row, norm) in zip(MathFixtures.g3, g3.rowNorms()) {
            assertClose(MathFixtures.dot(d, row) / norm, 0.229531, "d·u_t")
        }
        let alpha2 = try IMTLGradientSolver.weights(gram: g2.gram())
        assertClose(alpha2, [0.43303, 0.56697], "G2 α")
        assertClose(try g2.combine(weights: alpha2), [0.299091, 1.28348, -0.149545], "G2 d")
        // Rank-deficient: identical gradients share the weight equally.
        assertClose(try IMTLGradientSolver.weights(gram: [[2, 2], [2, 2]]), [0.5, 0.5], "identical")
        XCTAssertEqual(try IMTLGradientSolver.weights(gram: [[0, 0], [0, 0]]), [0, 0])
    }

    func testIMTLLossScaling() throws {
        let zero = [0.0, 0, 0]
        let gradient = try IMTLLossScaling.scaleGradients(losses: MathFixtures.l3, scales: zero)
        assertClose(gradient, [-0.2, 0.5, 1.2], "∂/∂s")
        assertClose(zip(zero, gradient).map { $0 - 0.1 * $1 }, [0.02, -0.05, -0.12], "after SGD")
        let stationary = try IMTLLossScaling.stationaryScales(losses: MathFixtures.l3)
        assertClose(stationary, [0.223144, -0.405465, -0.788457], "s*")
        assertClose(try IMTLLossScaling.scaledLosses(losses: MathFixtures.l3, scales: stationary).map { $0 + 0 },
                    stationary.map { 1 - $0 }, "scaled loss at s* = 1 − s*")
        assertClose(IMTLLossScaling.weights(scales: stationary), MathFixtures.l3.map { 1 / $0 }, "e^{s*} = 1/L")
        assertThrowsMathError(try IMTLLossScaling.scaleGradients(losses: MathFixtures.l3, scales: [0]))
    }

    func testNashBargaining() throws {
        let solution = try NashBargainingSolver.solve(gram: g3.gram())
        assertClose(solution.weights, [0.901809, 0.517579, 0.801969], relative: 0, absolute: 1e-4, "G3 α")
        let d = try g3.combine(weights: solution.weights)
        assertClose(d, [0.267636, 1.11824, 0.960918, -0.868643], relative: 0, absolute: 1e-4, "G3 d")
        for (row, weight) in zip(MathFixtures.g3, solution.weights) { assertClose(weight * MathFixtures.dot(d, row), 1, relative: 1e-5) }
        let two = try NashBargainingSolver.solve(gram: g2.gram())
        assertClose(two.weights, [0.461723, 0.604537], relative: 0, absolute: 1e-4, "G2 α")
        assertClose(try g2.combine(weights: two.weights), [0.318909, 1.36853, -0.159454], relative: 0, absolute: 1e-4, "G2 d")
        // A warm start converges to the same root.
        let warm = try NashBargainingSolver.solve(gram: g3.gram(), initialWeights: [5, 0.01, 3])
        assertClose(warm.weights, solution.weights, relative: 1e-9)
        // No positive root: a zero gradient, or exactly opposed gradients.
        assertThrowsMathError(try NashBargainingSolver.solve(gram: [[1, 0], [0, 0]]))
        assertThrowsMathError(try NashBargainingSolver.solve(gram: [[1, -1], [-1, 1]]))
    }

    func testAlignedMTL() throws {
        let b = try AlignedMTLSolver.balanceMatrix(gram: g3.gram())
        assertClose(b, [[0.709676, 0.088382, 0.301962], [0.088382, 0.519884, 0.068154], [0.301962, 0.068154, 0.629392]],
                    relative: 2e-5, "B")
        let alpha = try AlignedMTLSolver.weights(gram: g3.gram())
        assertClose(alpha, [1.10002, 0.676421, 0.999509], "α")
        assertClose(try g3.combine(weights: alpha), [0.246933, 1.3772, 1.23721, -1.12592], "d")
        let mean = try AlignedMTLSolver.weights(gram: g3.gram(), preference: [1.0 / 3, 1.0 / 3, 1.0 / 3])
        assertClose(try g3.combine(weights: mean), [0.0823109, 0.459065, 0.412403, -0.375307], "mean-preference d")
        // Aligned Gram B M B = λ_min(M3)·I.
        let m = g3.gram()
        var aligned = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { for l in 0..<3 { aligned[i][j] += b[i][k] * m[k][l] * b[l][j] } } } }
        assertClose(aligned, [[1.58534, 0, 0], [0, 1.58534, 0], [0, 0, 1.58534]], relative: 1e-5, absolute: 1e-9, "aligned Gram")
        let alpha2 = try AlignedMTLSolver.weights(gram: g2.gram())
        assertClose(alpha2, [0.828994, 1.05999], "G2 α")
        assertClose(try g2.combine(weights: alpha2), [0.598003, 2.41897, -0.299001], "G2 d")
        assertThrowsMathError(try AlignedMTLSolver.weights(gram: g3.gram(), preference: [1]))
    }

    func testSymmetricEigendecomposition() throws {
        let decomposition = try SymmetricEigendecomposition(MathFixtures.m3)
        XCTAssertEqual(decomposition.eigenvalues.count, 3)
        XCTAssertEqual(decomposition.eigenvalues, decomposition.eigenvalues.sorted(by: >))
        assertClose(decomposition.eigenvalues.last!, 1.58534, "λ_min")
        assertClose(decomposition.eigenvalues.reduce(0, +), 20, relative: 1e-12, "trace")
        for (value, vector) in zip(decomposition.eigenvalues, decomposition.eigenvectors) {
            assertClose(MathFixtures.matrixVector(MathFixtures.m3, vector), vector.map { $0 * value }, relative: 1e-10, absolute: 1e-12)
            assertClose(MathFixtures.dot(vector, vector), 1, relative: 1e-12)
        }
        let inverse = decomposition.pseudoInverse()
        let identity = MathFixtures.m3.map { row in (0..<3).map { j in (0..<3).reduce(0.0) { $0 + row[$1] * inverse[$1][j] } } }
        assertClose(identity, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], relative: 1e-10, absolute: 1e-12, "M M⁻¹")
        // Rank one: pinv of [[1,1],[1,1]] is [[¼,¼],[¼,¼]].
        assertClose(try SymmetricEigendecomposition([[1, 1], [1, 1]]).pseudoInverse(), [[0.25, 0.25], [0.25, 0.25]], relative: 1e-12, absolute: 1e-14)
        assertThrowsMathError(try SymmetricEigendecomposition([[1, 2], [0, 1]]))
    }
}
