/// Small dense linear solves for the T×T systems of the solvers.
enum LinearSystem {
    /// Solves `A x = b` for symmetric positive-definite A by Cholesky factorisation.
    /// - Throws: `.noSolution` when A is not (numerically) positive definite.
    static func solveSymmetricPositiveDefinite(_ a: [[Double]], _ b: [Double]) throws -> [Double] {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j {
                    guard sum > 0 else {
                        throw StrategyMathError.noSolution(function: "LinearSystem.solveSymmetricPositiveDefinite",
                                                           reason: "the matrix is not positive definite")
                    }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= l[i][k] * y[k] }
            y[i] = sum / l[i][i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k][i] * x[k] }
            x[i] = sum / l[i][i]
        }
        return x
    }
}
