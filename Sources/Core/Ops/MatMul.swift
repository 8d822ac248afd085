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

/// C = op(A)·op(B) (+ C when `accumulate`), row-major, through `cblas_sgemm`.
///
/// OpenBLAS runs single-threaded; large products are split here into one block of rows (or
/// columns) of C per core, at boundaries fixed by the sizes. Letting OpenBLAS thread instead
/// leaves its workers spinning between calls, stealing a core from everything else on a
/// 2-core machine.
enum Gemm {
    static let singleThreadedBLAS: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    static func multiply(_ a: UnsafePointer<Float>, _ transposeA: Bool, _ b: UnsafePointer<Float>, _ transposeB: Bool,
                         into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                         leadingA: Int, leadingB: Int, leadingC: Int? = nil, accumulate: Bool = false) {
        _ = singleThreadedBLAS
        if m == 0 || n == 0 { return }
        let ldc = leadingC ?? n
        if k == 0 {
            if !accumulate { for row in 0..<m { (c + row * ldc).initialize(repeating: 0, count: n) } }
            return
        }
        func run(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ m: Int, _ n: Int) {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(leadingA), b, Int32(leadingB),
                        accumulate ? 1 : 0, c, Int32(ldc))
        }
        guard Parallel.threadCount > 1, m * n * k >= 1 << 18, max(m, n) >= 2 * Parallel.threadCount else {
            run(a, b, c, m, n)
            return
        }
        if m >= n {
            Parallel.forEachChunk(m, minimumPerChunk: 1) { rows in
                let aStart = transposeA ? a + rows.lowerBound : a + rows.lowerBound * leadingA
                run(aStart, b, c + rows.lowerBound * ldc, rows.count, n)
            }
        } else {
            Parallel.forEachChunk(n, minimumPerChunk: 1) { columns in
                let bStart = transposeB ? b + columns.lowerBound * leadingB : b + columns.lowerBound
                run(a, bStart, c + columns.lowerBound, m, columns.count)
            }
        }
    }
}
