/// M_ij = v_i·v_j of task gradients given as rows of tensors (rows[t][k]: tensor k of task t):
/// Double products, accumulated tensor by tensor in k order. The one Gram computation of the
/// Gramian weightings, whether the gradients sit in one process or are spread over ranks
/// (`DistributedTaskGradients` accumulates the same per-tensor products in the same order).
public enum GramMatrix {
    public static func of(_ rows: [[Tensor]]) -> [[Double]] {
        let count = rows.count
        var gram = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for k in (rows.first ?? []).indices {
            accumulate(&gram, products: products(rows.map { $0[k] }))
        }
        return gram
    }

    /// The products v_i[k]·v_j[k] of one tensor k, for i ≤ j in row-major order.
    static func products(_ column: [Tensor]) -> [Double] {
        var values: [Double] = []
        for i in column.indices {
            for j in i..<column.count { values.append(dot(column[i], column[j])) }
        }
        return values
    }

    /// Adds one tensor's products (as `products` orders them) to `gram`.
    static func accumulate(_ gram: inout [[Double]], products: [Double]) {
        var index = 0
        for i in gram.indices {
            for j in i..<gram.count {
                let value = products[index]
                index += 1
                gram[i][j] += value
                if i != j { gram[j][i] += value }
            }
        }
    }

    /// a·b in Double, in four interleaved partial sums (a fixed order).
    public static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let n = x.count, blocks = n / 4
                for block in 0..<blocks {
                    let i = block * 4
                    s0 += Double(x[i]) * Double(y[i])
                    s1 += Double(x[i + 1]) * Double(y[i + 1])
                    s2 += Double(x[i + 2]) * Double(y[i + 2])
                    s3 += Double(x[i + 3]) * Double(y[i + 3])
                }
                for i in (blocks * 4)..<n { s0 += Double(x[i]) * Double(y[i]) }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }
}
