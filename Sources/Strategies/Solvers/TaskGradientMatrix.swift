import Foundation

/// The per-task gradients `G` of STRATEGIES.md §0: T rows (one per task) of P columns (the
/// flattened shared parameters, or a flattened representation gradient), stored contiguously in
/// row-major order as `Float`.
///
/// The matrix is the one big object of the gradient-level strategies; everything else works on
/// its T×T Gram matrix `M = G Gᵀ` and turns back into a direction through `combine(weights:)`.
/// The two passes over the data (`gram()` and `combine(weights:)`) walk the buffer with raw
/// pointers in column blocks that stay in cache, accumulate in `Double`, and split the columns
/// over the available cores at fixed block boundaries, so results do not depend on scheduling.
public struct TaskGradientMatrix: Equatable, Sendable {
    /// T, the number of tasks (rows).
    public let taskCount: Int
    /// P, the length of each task gradient (columns).
    public let parameterCount: Int
    /// The entries, row after row (`scalars[t * parameterCount + p]` = g_t[p]).
    public private(set) var scalars: [Float]

    /// Columns handled together: 8 rows × 2048 columns × 4 bytes stays in a 64 KiB L1/L2 slice.
    static let blockWidth = 2048
    /// Below this many entries, the passes run on one thread.
    static let parallelThreshold = 1 << 18

    /// A matrix from one array per task.
    /// - Throws: `StrategyMathError.tooFewTasks` for no rows, `.lengthMismatch` when the rows differ in length.
    public init(rows: [[Float]]) throws {
        try MathValidation.taskCount(rows.count, function: "TaskGradientMatrix(rows:)")
        let width = rows[0].count
        for row in rows {
            try MathValidation.length(row, width, argument: "a task gradient", function: "TaskGradientMatrix(rows:)")
        }
        taskCount = rows.count
        parameterCount = width
        var flat: [Float] = []
        flat.reserveCapacity(rows.count * width)
        for row in rows { flat.append(contentsOf: row) }
        scalars = flat
    }

    /// A matrix over a flat row-major buffer of `taskCount × parameterCount` entries.
    /// - Throws: `.tooFewTasks` when `taskCount < 1`, `.lengthMismatch` when the buffer has the wrong size.
    public init(taskCount: Int, parameterCount: Int, scalars: [Float]) throws {
        try MathValidation.taskCount(taskCount, function: "TaskGradientMatrix(taskCount:parameterCount:scalars:)")
        guard parameterCount >= 0 else {
            throw StrategyMathError.invalidArgument(function: "TaskGradientMatrix(taskCount:parameterCount:scalars:)",
                                                    reason: "parameterCount must not be negative")
        }
        try MathValidation.length(scalars, taskCount * parameterCount, argument: "scalars",
                                  function: "TaskGradientMatrix(taskCount:parameterCount:scalars:)")
        self.taskCount = taskCount
        self.parameterCount = parameterCount
        self.scalars = scalars
    }

    /// Row `task` as an array (a copy).
    public func row(_ task: Int) -> [Float] {
        precondition(task >= 0 && task < taskCount, "task index \(task) outside 0..<\(taskCount)")
        return Array(scalars[task * parameterCount ..< (task + 1) * parameterCount])
    }

    /// All rows as arrays (copies).
    public var rows: [[Float]] { (0..<taskCount).map(row) }

    /// The Gram matrix `M_ij = g_i · g_j` (T×T, symmetric), products and sums in `Double`.
    public func gram() -> [[Double]] {
        let t = taskCount
        let pairs = t * (t + 1) / 2
        let partial = blockwise(resultCount: pairs) { base, start, end, sums in
            var pair = 0
            for i in 0..<t {
                let rowI = base + i * parameterCount
                for j in i..<t {
                    sums[pair] += TaskGradientMatrix.dot(rowI + start, base + j * parameterCount + start, count: end - start)
                    pair += 1
                }
            }
        }
        var result = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
        var pair = 0
        for i in 0..<t {
            for j in i..<t {
                result[i][j] = partial[pair]
                result[j][i] = partial[pair]
                pair += 1
            }
        }
        return result
    }

    /// The Euclidean norm ‖g_t‖ of every row, in `Double`.
    public func rowNorms() -> [Double] {
        let partial = blockwise(resultCount: taskCount) { base, start, end, sums in
            for i in 0..<taskCount {
                let row = base + i * parameterCount + start
                sums[i] += TaskGradientMatrix.dot(row, row, count: end - start)
            }
        }
        return partial.map { $0.squareRoot() }
    }

    /// `v · g_t` for every row t, in `Double`.
    /// - Throws: `.lengthMismatch` when `vector` does not have P entries.
    public func dotProducts(with vector: [Float]) throws -> [Double] {
        try MathValidation.length(vector, parameterCount, argument: "vector", function: "TaskGradientMatrix.dotProducts(with:)")
        return vector.withUnsafeBufferPointer { v in
            let other = v.baseAddress
            return blockwise(resultCount: taskCount) { base, start, end, sums in
                guard let other else { return }
                for i in 0..<taskCount {
                    sums[i] += TaskGradientMatrix.dot(base + i * parameterCount + start, other + start, count: end - start)
                }
            }
        }
    }

    /// The weighted row sum `d = Σ_t w_t g_t` (P entries), accumulated in `Double` per entry.
    ///
    /// Every Gram-level solver in this folder returns its answer as such row weights.
    /// - Throws: `.lengthMismatch` when `weights` does not have T entries.
    public func combine(weights: [Double]) throws -> [Float] {
        try MathValidation.length(weights, taskCount, argument: "weights", function: "TaskGradientMatrix.combine(weights:)")
        let width = parameterCount, rowsCount = taskCount
        var output = [Float](repeating: 0, count: width)
        guard width > 0 else { return output }
        let blockCount = (width + Self.blockWidth - 1) / Self.blockWidth
        scalars.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                let base = source.baseAddress!, out = destination.baseAddress!
                Self.forEachBlockGroup(blockCount: blockCount, parallel: source.count >= Self.parallelThreshold) { blocks in
                    var accumulator = [Double](repeating: 0, count: Self.blockWidth)
                    accumulator.withUnsafeMutableBufferPointer { buffer in
                        let sum = buffer.baseAddress!
                        for block in blocks {
                            let start = block * Self.blockWidth, count = min(Self.blockWidth, width - start)
                            for k in 0..<count { sum[k] = 0 }
                            for t in 0..<rowsCount {
                                let w = weights[t]
                                if w == 0 { continue }
                                let row = base + t * width + start
                                for k in 0..<count { sum[k] += w * Double(row[k]) }
                            }
                            for k in 0..<count { out[start + k] = Float(sum[k]) }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The LibMTL "batch-summed" representation convention of STRATEGIES.md §0 (test 6-T3): each
    /// row, read as `batchSize` samples of P/batchSize features, is replaced by the sum over the
    /// samples (T × P/batchSize).
    /// - Throws: `.invalidArgument` when `batchSize` does not divide P.
    public func summedOverBatch(batchSize: Int) throws -> TaskGradientMatrix {
        guard batchSize > 0, parameterCount % batchSize == 0 else {
            throw StrategyMathError.invalidArgument(function: "TaskGradientMatrix.summedOverBatch(batchSize:)",
                                                    reason: "batch size \(batchSize) does not divide the row length \(parameterCount)")
        }
        let features = parameterCount / batchSize
        var result = [Float](repeating: 0, count: taskCount * features)
        for t in 0..<taskCount {
            for f in 0..<features {
                var total = 0.0
                for b in 0..<batchSize { total += Double(scalars[t * parameterCount + b * features + f]) }
                result[t * features + f] = Float(total)
            }
        }
        return try TaskGradientMatrix(taskCount: taskCount, parameterCount: features, scalars: result)
    }

    // MARK: - Kernels

    /// Σ_k x[k]·y[k] in `Double` with eight independent accumulators (vectorisable).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
        var k = 0
        while k + 8 <= count {
            s0 += Double(x[k]) * Double(y[k]); s1 += Double(x[k + 1]) * Double(y[k + 1])
            s2 += Double(x[k + 2]) * Double(y[k + 2]); s3 += Double(x[k + 3]) * Double(y[k + 3])
            s4 += Double(x[k + 4]) * Double(y[k + 4]); s5 += Double(x[k + 5]) * Double(y[k + 5])
            s6 += Double(x[k + 6]) * Double(y[k + 6]); s7 += Double(x[k + 7]) * Double(y[k + 7])
            k += 8
        }
        while k < count { s0 += Double(x[k]) * Double(y[k]); k += 1 }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// Runs `body(base, start, end, sums)` over every column block, each block into its own partial
    /// sums, and adds the partials in block order: the result depends on P only, not on the number
    /// of threads.
    private func blockwise(resultCount: Int,
                           _ body: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let width = parameterCount
        guard width > 0, resultCount > 0 else { return [Double](repeating: 0, count: resultCount) }
        let blockCount = (width + Self.blockWidth - 1) / Self.blockWidth
        var partials = [Double](repeating: 0, count: blockCount * resultCount)
        scalars.withUnsafeBufferPointer { source in
            partials.withUnsafeMutableBufferPointer { partialBuffer in
                let base = source.baseAddress!, sumsBase = partialBuffer.baseAddress!
                Self.forEachBlockGroup(blockCount: blockCount, parallel: source.count >= Self.parallelThreshold) { blocks in
                    for block in blocks {
                        let start = block * Self.blockWidth
                        body(base, start, min(start + Self.blockWidth, width), sumsBase + block * resultCount)
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: resultCount)
        for block in 0..<blockCount {
            for r in 0..<resultCount { result[r] += partials[block * resultCount + r] }
        }
        return result
    }

    /// How many contiguous groups of blocks the work is split into (one per core when parallel).
    static func groupCount(blockCount: Int, parallel: Bool) -> Int {
        guard parallel else { return 1 }
        return max(1, min(blockCount, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// The contiguous block range of group `g` out of `groups`.
    static func blockRange(group g: Int, groups: Int, blockCount: Int) -> Range<Int> {
        (g * blockCount / groups) ..< ((g + 1) * blockCount / groups)
    }

    /// Calls `body` once per group of blocks, concurrently when `parallel`.
    static func forEachBlockGroup(blockCount: Int, parallel: Bool, _ body: (Range<Int>) -> Void) {
        let groups = groupCount(blockCount: blockCount, parallel: parallel)
        if groups == 1 {
            body(0..<blockCount)
        } else {
            DispatchQueue.concurrentPerform(iterations: groups) { g in
                body(blockRange(group: g, groups: groups, blockCount: blockCount))
            }
        }
    }
}
