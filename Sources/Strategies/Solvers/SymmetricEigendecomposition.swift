/// The eigendecomposition `M = V diag(λ) Vᵀ` of a small real symmetric matrix by the cyclic
/// Jacobi method (Golub & Van Loan, *Matrix Computations*, §8.5): plane rotations annihilate the
/// off-diagonal entries until their norm is below 1e-15 of the matrix norm. Accurate to machine
/// precision for the T×T Gram matrices of the strategies (T up to a few dozen).
public struct SymmetricEigendecomposition: Equatable, Sendable {
    /// The eigenvalues, sorted in descending order.
    public let eigenvalues: [Double]
    /// `eigenvectors[k]` is the unit eigenvector of `eigenvalues[k]` (the k-th column of V).
    public let eigenvectors: [[Double]]

    /// Decomposes `matrix`, which must be symmetric (up to 1e-9 relative).
    /// - Throws: `.tooFewTasks`, `.notSquare`, or `.invalidArgument` when the matrix is not symmetric.
    public init(_ matrix: [[Double]]) throws {
        let function = "SymmetricEigendecomposition"
        let n = try MathValidation.squareMatrix(matrix, function: function)
        var scale = 0.0
        for row in matrix { for x in row { scale = max(scale, abs(x)) } }
        for i in 0..<n {
            for j in 0..<i where abs(matrix[i][j] - matrix[j][i]) > 1e-9 * max(scale, 1e-300) {
                throw StrategyMathError.invalidArgument(function: function, reason: "the matrix is not symmetric at (\(i), \(j))")
            }
        }
        var a = matrix
        for i in 0..<n { for j in 0..<i { let mean = (a[i][j] + a[j][i]) / 2; a[i][j] = mean; a[j][i] = mean } }
        var v = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        var frobenius = 0.0
        for row in a { for x in row { frobenius += x * x } }
        let threshold = 1e-30 * frobenius
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            if off <= threshold { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    // Rotation angle that zeroes a[p][q] (the stable formulation of G&VL Alg. 8.5.1).
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0][$0] > a[$1][$1] }
        eigenvalues = order.map { a[$0][$0] }
        eigenvectors = order.map { k in (0..<n).map { v[$0][k] } }
    }

    /// The number of eigenvalues above `relativeTolerance · λ_max` (and above 0).
    public func rank(relativeTolerance: Double) -> Int {
        let cutoff = relativeTolerance * max(eigenvalues.first ?? 0, 0)
        return eigenvalues.filter { $0 > cutoff && $0 > 0 }.count
    }

    /// The Moore-Penrose pseudo-inverse `V diag(1/λ_k for kept k) Vᵀ`, keeping the eigenvalues
    /// above `relativeTolerance · λ_max` (default `T · Double.ulpOfOne`, NumPy/PyTorch's rule).
    public func pseudoInverse(relativeTolerance: Double? = nil) -> [[Double]] {
        let n = eigenvalues.count
        let kept = rank(relativeTolerance: relativeTolerance ?? Double(n) * Double.ulpOfOne)
        var result = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for k in 0..<kept {
            let inverse = 1 / eigenvalues[k], vector = eigenvectors[k]
            for i in 0..<n { for j in 0..<n { result[i][j] += inverse * vector[i] * vector[j] } }
        }
        return result
    }
}
