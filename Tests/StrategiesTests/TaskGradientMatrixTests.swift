import XCTest
import TandemStrategies

final class TaskGradientMatrixTests: XCTestCase {
    func testGramAndNormsOfTheCommonInputs() throws {
        assertClose(MathFixtures.matrix(MathFixtures.g2).gram(), MathFixtures.m2, "M2")
        assertClose(MathFixtures.matrix(MathFixtures.g3).gram(), MathFixtures.m3, "M3")
        assertClose(MathFixtures.matrix(MathFixtures.g3).rowNorms(), [Double(6.25).squareRoot(), Double(6.25).squareRoot(), Double(7.5).squareRoot()], "norms")
    }

    /// §1 EW: d = Σ w_t g_t with w = 1 (sum) or 1/T (mean); L_tot = Σ w_t L_t.
    func testEqualWeightingDirectionsAndLoss() throws {
        let g = MathFixtures.matrix(MathFixtures.g3)
        assertClose(try g.combine(weights: [1, 1, 1]), [-0.5, 1.5, 1.5, -1.5], "EW sum")
        assertClose(try g.combine(weights: [1.0 / 3, 1.0 / 3, 1.0 / 3]), [-0.166667, 0.5, 0.5, -0.5], "EW mean")
        assertClose(MathFixtures.l3.reduce(0, +), 4.5, "L_tot sum")
        assertClose(MathFixtures.l3.reduce(0, +) / 3, 1.5, "L_tot mean")
    }

    func testFlatBufferAndRows() throws {
        let flat = try TaskGradientMatrix(taskCount: 2, parameterCount: 3, scalars: [2, 1, -1, -1, 1.5, 0.5])
        XCTAssertEqual(flat, MathFixtures.matrix(MathFixtures.g2))
        XCTAssertEqual(flat.row(1), [-1, 1.5, 0.5])
        XCTAssertEqual(flat.rows, MathFixtures.g2)
        assertClose(try flat.dotProducts(with: [1, 0, 2]), [0, 0], absolute: 0, "dots")
        assertClose(try flat.dotProducts(with: [1, 1, 1]), [2, 1], "dots")
    }

    func testBadInputThrows() {
        assertThrowsMathError(try TaskGradientMatrix(rows: []), where: { if case .tooFewTasks = $0 { return true }; return false })
        assertThrowsMathError(try TaskGradientMatrix(rows: [[1, 2], [3]]), where: { if case .lengthMismatch = $0 { return true }; return false })
        assertThrowsMathError(try TaskGradientMatrix(taskCount: 2, parameterCount: 3, scalars: [1, 2]))
        assertThrowsMathError(try TaskGradientMatrix(taskCount: 0, parameterCount: 3, scalars: []))
        assertThrowsMathError(try MathFixtures.matrix(MathFixtures.g2).combine(weights: [1]))
        assertThrowsMathError(try MathFixtures.matrix(MathFixtures.g2).dotProducts(with: [1]))
        assertThrowsMathError(try MathFixtures.matrix(MathFixtures.g2).summedOverBatch(batchSize: 2))
    }

    /// Large P goes through the blocked, multi-threaded kernels; compare with a naive Double
    /// computation and check that the result does not depend on the scheduling (bit-identical reruns).
    func testLargeMatricesAgreeWithANaiveComputation() throws {
        let taskCount = 3, width = 300_001
        var state: UInt64 = 12345
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        let scalars = (0..<(taskCount * width)).map { _ in next() }
        let matrix = try TaskGradientMatrix(taskCount: taskCount, parameterCount: width, scalars: scalars)
        var naive = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<taskCount {
            for j in 0..<taskCount {
                var total = 0.0
                for p in 0..<width { total += Double(scalars[i * width + p]) * Double(scalars[j * width + p]) }
                naive[i][j] = total
            }
        }
        let gram = matrix.gram()
        assertClose(gram, naive, relative: 1e-12, absolute: 1e-9, "Gram")
        XCTAssertEqual(matrix.gram(), gram, "Gram is not deterministic")
        assertClose(matrix.rowNorms(), (0..<3).map { naive[$0][$0].squareRoot() }, relative: 1e-12, "norms")
        let weights = [0.5, -1.25, 2.0]
        let combined = try matrix.combine(weights: weights)
        for p in stride(from: 0, to: width, by: 997) {
            let expected = (0..<taskCount).reduce(0.0) { $0 + weights[$1] * Double(scalars[$1 * width + p]) }
            XCTAssertEqual(Double(combined[p]), expected, accuracy: 1e-6 * max(1, abs(expected)))
        }
        XCTAssertEqual(Double(combined[width - 1]),
                       (0..<taskCount).reduce(0.0) { $0 + weights[$1] * Double(scalars[$1 * width + width - 1]) }, accuracy: 1e-6)
        XCTAssertEqual(try matrix.combine(weights: weights), combined)
    }

    /// §6-T3: the batch-summed (LibMTL) convention sums each representation gradient over the batch.
    func testSummedOverBatch() throws {
        let h = try TaskGradientMatrix(rows: [[1, 0, 0, 1], [-1, 0.5, 0.5, -0.5]])
        XCTAssertEqual(try h.summedOverBatch(batchSize: 2).rows, [[1, 1], [-0.5, 0]])
    }
}
