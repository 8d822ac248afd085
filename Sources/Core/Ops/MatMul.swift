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

/// x·Wᵀ + b for x (N×in), W (out×in), b (out): a linear layer as one op. The bias rows are
/// written first and the GEMM accumulates onto them (no broadcast tensor, no extra pass). The VJPs
/// are matrix products and a column sum, so the op is differentiable to any order.
public func affine(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "affine: needs N×in input and out×in weight, got \(x.shape) and \(weight.shape)")
    precondition(bias.shape == [weight.shape[0]], "affine: bias must have shape [\(weight.shape[0])], got \(bias.shape)")
    let (m, n, k) = (x.shape[0], weight.shape[0], x.shape[1])
    let out = TensorStorage(count: m * n)
    for row in 0..<m { (out.pointer + row * n).update(from: bias.pointer, count: n) }
    Gemm.multiply(x.pointer, false, weight.pointer, true, into: out.pointer, m: m, n: n, k: k,
                  leadingA: k, leadingB: k, accumulate: true)
    return Tape.record("affine", shape: [m, n], storage: out, inputs: [x, weight, bias], saved: [x, weight]) { g, saved, needs in
        [needs[0] ? matmul(g, saved[1]) : nil,
         needs[1] ? matmul(g, saved[0], transposeA: true) : nil,
         needs[2] ? g.sum(to: [1, n]).reshaped([n]) : nil]
    }
}

/// C = op(A)·op(B) (+ C when `accumulate`), row-major, through `cblas_sgemm`.
///
/// OpenBLAS runs single-threaded; large products are split here into `pieces` blocks of rows (or
/// columns) of C, at boundaries fixed by the sizes alone — never by the thread count — and the
/// blocks run on `Parallel.threadCount` threads. Each block is one `sgemm` call of the same shape
/// whatever the number of threads, so every output element is accumulated in the same order and
/// results are bit-identical with 1 or 2 threads. Letting OpenBLAS thread instead leaves its
/// workers spinning between calls, stealing a core from everything else on a 2-core machine.
enum Gemm {
    static let singleThreadedBLAS: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Blocks a product of these sizes is cut into: 2 (the machines Tandem targets have 2 cores)
    /// once it is large enough to be worth splitting, else 1.
    static func pieces(m: Int, n: Int, k: Int) -> Int {
        m * n * k >= 1 << 18 && max(m, n) >= 4 ? 2 : 1
    }

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
        let blocks = pieces(m: m, n: n, k: k)
        if blocks == 1 {
            run(a, b, c, m, n)
            return
        }
        if m >= n {
            Parallel.forEach(blocks) { piece in
                let rows = Parallel.chunkRange(piece, of: blocks, count: m)
                let aStart = transposeA ? a + rows.lowerBound : a + rows.lowerBound * leadingA
                run(aStart, b, c + rows.lowerBound * ldc, rows.count, n)
            }
        } else {
            Parallel.forEach(blocks) { piece in
                let columns = Parallel.chunkRange(piece, of: blocks, count: n)
                let bStart = transposeB ? b + columns.lowerBound * leadingB : b + columns.lowerBound
                run(a, bStart, c + columns.lowerBound, m, columns.count)
            }
        }
    }
}
