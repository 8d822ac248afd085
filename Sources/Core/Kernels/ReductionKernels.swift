/// Raw loops behind reductions.
enum ReductionKernels {
    /// Sums `source` (of `shape`) down to `target`, a shape that broadcasts to `shape`
    /// (same rank after left-padding with 1s). Accumulation order is fixed, so results are
    /// deterministic.
    static func sum(_ source: Tensor, to target: [Int]) -> TensorStorage {
        let outCount = Shape.count(target)
        let out = TensorStorage(count: outCount)
        let x = source.pointer, y = out.pointer
        if outCount == 1 {
            y[0] = total(x, count: source.count)
            return out
        }
        y.initialize(repeating: 0, count: outCount)
        let layout = BroadcastLayout(shape: source.shape, operands: [source.shape, target])
        let inner = layout.innerCount
        let innerTarget = layout.innerStrides[1]
        var walker = layout.walker(startingAt: 0)
        for _ in 0..<layout.outerCount {
            let offsetX = walker.offsets[0], offsetY = walker.offsets[1]
            if innerTarget == 0 {
                var partial: Float = 0
                for j in 0..<inner { partial += x[offsetX + j] }
                y[offsetY] += partial
            } else {
                for j in 0..<inner { y[offsetY + j] += x[offsetX + j] }
            }
            walker.advance()
        }
        return out
    }

    /// Per-channel sums of an N×C×… tensor (Σ over every axis but 1), each channel by one task:
    /// planes are summed with eight interleaved accumulators, images added in order — a fixed
    /// order whatever the number of threads.
    static func channelSums(_ source: Tensor) -> TensorStorage {
        if case .blocked(let block) = source.format { return channelSums(blocked: source, block: block) }
        let (batch, channels) = (source.shape[0], source.shape[1])
        let plane = source.count / max(1, batch * channels)
        let out = TensorStorage(count: channels)
        let x = source.pointer, y = out.pointer
        Parallel.forEachChunk(channels, minimumPerChunk: max(1, 65_536 / max(1, batch * plane))) { range in
            for c in range {
                var total: Float = 0
                for n in 0..<batch {
                    let base = x + (n * channels + c) * plane
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                    var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
                    var i = 0
                    while i + 8 <= plane {
                        s0 += base[i]; s1 += base[i + 1]; s2 += base[i + 2]; s3 += base[i + 3]
                        s4 += base[i + 4]; s5 += base[i + 5]; s6 += base[i + 6]; s7 += base[i + 7]
                        i += 8
                    }
                    while i < plane { s0 += base[i]; i += 1 }
                    total += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
                }
                y[c] = total
            }
        }
        return out
    }

    /// Sum of `count` values in fixed blocks (block partial sums are added in order).
    static func total(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let block = 16_384
        let blocks = (count + block - 1) / block
        if blocks <= 1 {
            var s: Float = 0
            for i in 0..<count { s += x[i] }
            return s
        }
        var partials = [Float](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(blocks, minimumPerChunk: 4) { range in
                for b in range {
                    var s: Float = 0
                    for i in (b * block)..<min(count, (b + 1) * block) { s += x[i] }
                    base[b] = s
                }
            }
        }
        var s: Float = 0
        for p in partials { s += p }
        return s
    }

    /// Repeats `source` along broadcast axes to fill `shape`.
    static func broadcast(_ source: Tensor, to shape: [Int]) -> TensorStorage {
        let count = Shape.count(shape)
        let out = TensorStorage(count: count)
        let x = source.pointer, y = out.pointer
        if source.count == 1 {
            y.initialize(repeating: x[0], count: count)
            return out
        }
        let layout = BroadcastLayout(shape: shape, operands: [shape, source.shape])
        let inner = layout.innerCount
        let innerSource = layout.innerStrides[1]
        Parallel.forEachChunk(layout.outerCount, minimumPerChunk: max(1, 32_768 / max(inner, 1))) { range in
            var walker = layout.walker(startingAt: range.lowerBound)
            for _ in range {
                let offsetY = walker.offsets[0], offsetX = walker.offsets[1]
                if innerSource == 0 {
                    let value = x[offsetX]
                    for j in 0..<inner { y[offsetY + j] = value }
                } else {
                    for j in 0..<inner { y[offsetY + j] = x[offsetX + j] }
                }
                walker.advance()
            }
        }
        return out
    }
}

extension ReductionKernels {
    /// `channelSums` of a tensor held in the convolution kernels' blocked layout, eight channels at
    /// a time (one per vector lane), each in the order above: the same bits.
    static func channelSums(blocked source: Tensor, block: Int) -> TensorStorage {
        let layout = BlockedLanes(source.shape, block: block)
        let out = TensorStorage(count: layout.channels)
        let x = source.heldPointer
        Parallel.forEachChunk(layout.groups, minimumPerChunk: max(1, 8_192 / max(1, layout.batch * layout.plane))) { groups in
            for group in groups {
                var total = SIMD8<Float>()
                for n in 0..<layout.batch {
                    total += BatchNormKernels.blockedPlaneSum(x + layout.base(n, group), plane: layout.plane, stride: block)
                }
                for lane in 0..<layout.validLanes(group) { out.pointer[group * 8 + lane] = total[lane] }
            }
        }
        return out
    }
}
