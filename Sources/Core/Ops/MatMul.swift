import CBLAS

/// Matrix product op(a)·op(b) of 2-D tensors through OpenBLAS `sgemm`, where op transposes when
/// asked. The VJPs are matrix products of the same kind, so the op is differentiable to any order.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner sizes differ (\(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : ""))")
    let out = TensorStorage(count: m * n)
    Gemm.multiply(a.pointer, transposeA, b.pointer, transposeB, into: out.pointer, m: m, n: n, k: k,
                  leadingA: a.shape[1], leadingB: b.shape[1])
    return Tape.record("matmul", shape: [m, n], storage: out, inputs: [a, b], saved: [a, b]) { g, saved, needs in
        let (x, y) = (saved[0], saved[1])
        var gradA: Tensor? = nil, gradB: Tensor? = nil
        switch (transposeA, transposeB) {
        case (false, false):
            if needs[0] { gradA = matmul(g, y, transposeB: true) }
            if needs[1] { gradB = matmul(x, g, transposeA: true) }
        case (true, false):
            if needs[0] { gradA = matmul(y, g, transposeB: true) }
            if needs[1] { gradB = matmul(x, g) }
        case (false, true):
            if needs[0] { gradA = matmul(g, y) }
            if needs[1] { gradB = matmul(g, x, transposeA: true) }
        case (true, true):
            if needs[0] { gradA = matmul(y, g, transposeA: true, transposeB: true) }
            if needs[1] { gradB = matmul(g, x, transposeA: true, transposeB: true) }
        }
        return [gradA, gradB]
    }
}

/// Thin wrapper over `cblas_sgemm` (row-major): C = op(A)·op(B) (+ C when `accumulate`).
enum Gemm {
    static func multiply(_ a: UnsafePointer<Float>, _ transposeA: Bool, _ b: UnsafePointer<Float>, _ transposeB: Bool,
                         into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                         leadingA: Int, leadingB: Int, leadingC: Int? = nil, accumulate: Bool = false) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { c.initialize(repeating: 0, count: m * n) }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(leadingA), b, Int32(leadingB),
                    accumulate ? 1 : 0, c, Int32(leadingC ?? n))
    }
}
