import Foundation

/// Independent reference solutions for the small QPs: enumerate every support, solve its linear
/// KKT system by Gaussian elimination, keep the feasible candidate of lowest objective. Exponential
/// in T, exact, and sharing no code with the solvers under test.
enum BruteForce {
    /// Solves A x = b by Gaussian elimination with partial pivoting; nil when A is singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        var m = a, r = b
        var scale = 0.0
        for row in a { for x in row { scale = max(scale, abs(x)) } }
        for k in 0..<n {
            var pivot = k
            for i in (k + 1)..<max(n, k + 1) where abs(m[i][k]) > abs(m[pivot][k]) { pivot = i }
            guard abs(m[pivot][k]) > 1e-13 * max(scale, 1e-300) else { return nil }
            m.swapAt(k, pivot); r.swapAt(k, pivot)
            for i in (k + 1)..<n {
                let f = m[i][k] / m[k][k]
                for j in k..<n { m[i][j] -= f * m[k][j] }
                r[i] -= f * r[k]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = r[i]
            for j in (i + 1)..<n { s -= m[i][j] * x[j] }
            x[i] = s / m[i][i]
        }
        return x
    }

    static func quadratic(_ m: [[Double]], _ v: [Double]) -> Double {
        var total = 0.0
        for i in v.indices { for j in v.indices { total += v[i] * m[i][j] * v[j] } }
        return total
    }

    /// `argmin_{α ∈ Δ} αᵀMα` over all supports S: `[M_SS 1; 1ᵀ 0][α_S; −λ] = [0; 1]`.
    static func minimumNorm(_ m: [[Double]]) -> [Double] {
        let t = m.count
        var best: (Double, [Double])?
        for mask in 1..<(1 << t) {
            let s = (0..<t).filter { mask & (1 << $0) != 0 }
            let k = s.count
            var a = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k + 1)
            for (i, si) in s.enumerated() {
                for (j, sj) in s.enumerated() { a[i][j] = m[si][sj] }
                a[i][k] = 1; a[k][i] = 1
            }
            var b = [Double](repeating: 0, count: k + 1); b[k] = 1
            guard let x = solve(a, b) else { continue }
            guard x[0..<k].allSatisfy({ $0 >= -1e-12 }) else { continue }
            var alpha = [Double](repeating: 0, count: t)
            for (i, si) in s.enumerated() { alpha[si] = max(x[i], 0) }
            let total = alpha.reduce(0, +)
            alpha = alpha.map { $0 / total }
            let value = quadratic(m, alpha)
            if best == nil || value < best!.0 - 1e-15 * abs(value) { best = (value, alpha) }
        }
        return best!.1
    }

    /// `argmin_{v ≥ u} vᵀMv` over all free sets F: `v_A = u_A`, `M_FF v_F = −M_FA u_A`.
    static func lowerBounded(_ m: [[Double]], _ u: [Double]) -> [Double] {
        let t = m.count
        var best: (Double, [Double])?
        for mask in 0..<(1 << t) {
            let free = (0..<t).filter { mask & (1 << $0) != 0 }
            var v = u
            if !free.isEmpty {
                let a = free.map { i in free.map { m[i][$0] } }
                let b = free.map { i in -(0..<t).filter { !free.contains($0) }.reduce(0) { $0 + m[i][$1] * u[$1] } }
                guard let x = solve(a, b) else { continue }
                for (k, i) in free.enumerated() { v[i] = x[k] }
            }
            guard zip(v, u).allSatisfy({ $0 >= $1 - 1e-12 * max(1, abs($1)) }) else { continue }
            let value = quadratic(m, v)
            if best == nil || value < best!.0 - 1e-15 * abs(value) { best = (value, v) }
        }
        return best!.1
    }

    /// A T×T Gram matrix with eigenvalues spread ×`spread` (geometric), random eigenvectors.
    static func illConditionedGram<G: RandomNumberGenerator>(taskCount t: Int, spread: Double, using generator: inout G) -> [[Double]] {
        // Random orthogonal basis by Gram-Schmidt on Gaussian columns.
        var basis: [[Double]] = []
        while basis.count < t {
            var v = (0..<t).map { _ in gaussian(&generator) }
            for b in basis { let p = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }; v = zip(v, b).map { $0 - p * $1 } }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if n > 1e-6 { basis.append(v.map { $0 / n }) }
        }
        let eigenvalues = (0..<t).map { Foundation.pow(spread, -Double($0) / Double(max(t - 1, 1))) }
        return (0..<t).map { i in (0..<t).map { j in (0..<t).reduce(0) { $0 + eigenvalues[$1] * basis[$1][i] * basis[$1][j] } } }
    }

    static func gaussian<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// The Gram matrix of random Gaussian rows (T×P).
    static func randomGram<G: RandomNumberGenerator>(taskCount t: Int, width p: Int, using generator: inout G) -> [[Double]] {
        let rows = (0..<t).map { _ in (0..<p).map { _ in gaussian(&generator) } }
        return rows.map { a in rows.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
    }
}
