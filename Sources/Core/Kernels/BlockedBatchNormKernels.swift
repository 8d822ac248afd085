// Batch-norm kernels on the convolution kernels' channel-blocked layout (N×⌈C/b⌉×H×W×b with
// b = 8 or 16, `ActivationFormat.blocked`): the numbers of the N×C×H×W kernels in
// BatchNormKernels.swift, bit for bit.
//
// Eight channels share one vector, a lane each: group k holds channels 8k … 8k + 7, and at plane
// position i of image n their values are the eight floats at `BlockedLanes.base(n, k) + i·b`. Every
// per-channel sum runs in the order BatchNormKernels.swift describes — per image, eight phase sums
// over the positions i ≡ 0 … 7 (mod 8), the tail added to phase 0, combined as `combine`, the
// images' sums added in image order in Double — lane by lane, so each channel is rounded exactly
// as there. Threads take whole groups. Lanes past the last channel (a block's padding) are
// written as zeros, as oneDNN keeps them.

/// Where the lane groups of a blocked N×C×H×W tensor are.
struct BlockedLanes {
    let batch: Int, channels: Int, plane: Int
    /// b, channels per block (8 or 16).
    let block: Int

    init(_ shape: [Int], block: Int) {
        precondition(shape.count == 4 && (block == 8 || block == 16), "blocked batch norm needs N×C×H×W in blocks of 8 or 16")
        (batch, channels, plane, self.block) = (shape[0], shape[1], shape[2] * shape[3], block)
    }

    var blocks: Int { (channels + block - 1) / block }
    /// Groups of eight channels, padding included.
    var groups: Int { blocks * block / 8 }

    /// The offset of group `group`'s first lane at image `image`, position 0.
    func base(_ image: Int, _ group: Int) -> Int {
        let perBlock = block / 8
        return (image * blocks + group / perBlock) * plane * block + group % perBlock * 8
    }

    /// How many of group `group`'s lanes are channels (0 for a group of padding only).
    func validLanes(_ group: Int) -> Int { max(0, min(8, channels - group * 8)) }

    /// Which of group `group`'s lanes are channels (the others are padding).
    func valid(_ group: Int) -> SIMDMask<SIMD8<Int32>> {
        SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .< SIMD8<Int32>(repeating: Int32(channels - group * 8))
    }

    /// Per-channel values of group `group` (zeros for padding lanes).
    func lanes(_ values: UnsafeMutablePointer<Float>, _ group: Int) -> SIMD8<Float> {
        var lanes = SIMD8<Float>()
        for lane in 0..<validLanes(group) { lanes[lane] = values[group * 8 + lane] }
        return lanes
    }
}

extension BatchNormKernels {
    /// Σ_i x_i over a plane for eight channels at once (the eight floats at `values + i·stride`),
    /// lane by lane in `planeSum`'s order; with `mean`, Σ_i (x_i − mean)² instead. One sequential
    /// sweep with the eight phase sums as eight vectors (sweeps of two or four phases at a time,
    /// which need fewer registers, were no faster: the loads wait on memory). Plain loops: a
    /// closure per position here was not inlined and cost more than the adds.
    static func blockedPlaneSum(_ values: UnsafeMutablePointer<Float>, plane: Int, stride: Int,
                                deviationsFrom mean: SIMD8<Float>? = nil) -> SIMD8<Float> {
        let whole = plane / 8 * 8
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var s4 = SIMD8<Float>(), s5 = SIMD8<Float>(), s6 = SIMD8<Float>(), s7 = SIMD8<Float>()
        let squared = mean != nil, centre = mean ?? SIMD8()
        @inline(__always) func term(_ i: Int) -> SIMD8<Float> {
            let v = SIMD8.load(values + i * stride)
            guard squared else { return v }
            let d = v - centre
            return d * d
        }
        var i = 0
        while i < whole {
            s0 += term(i); s1 += term(i + 1); s2 += term(i + 2); s3 += term(i + 3)
            s4 += term(i + 4); s5 += term(i + 5); s6 += term(i + 6); s7 += term(i + 7)
            i += 8
        }
        for tail in whole..<plane { s0 += term(tail) }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// `normalise` for eight channels: v·a + b, or `max(0, ·)` of it (v ≥ 0 ? v : 0) when `rectified`.
    @inline(__always)
    static func normaliseLanes(_ v: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>, rectified: Bool) -> SIMD8<Float> {
        let y = v * a + b
        return rectified ? y.replacing(with: 0, where: .!(y .>= 0)) : y
    }

    /// `forward` on a blocked x: the output (blocked like x) and the per-channel mean,
    /// 1/√(var + ε) and biased variance.
    static func forwardBlocked(_ x: Tensor, block: Int, scale: Tensor, shift: Tensor, epsilon: Float, rectified: Bool)
        -> (TensorStorage, Tensor, Tensor, Tensor) {
        let layout = BlockedLanes(x.shape, block: block)
        let (batch, plane, channels) = (layout.batch, layout.plane, layout.channels)
        let count = Double(batch * plane)
        let out = TensorStorage(count: x.heldStorage.count)
        let means = TensorStorage(count: channels), inverse = TensorStorage(count: channels), variances = TensorStorage(count: channels)
        let source = x.heldPointer, target = out.pointer
        Parallel.forEachChunk(layout.groups, minimumPerChunk: max(1, 8_192 / max(1, batch * plane))) { groups in
            for group in groups {
                var sum = SIMD8<Double>()
                for n in 0..<batch {
                    let planeSum = blockedPlaneSum(source + layout.base(n, group), plane: plane, stride: block)
                    for lane in 0..<8 { sum[lane] += Double(planeSum[lane]) }
                }
                var mean = SIMD8<Float>()
                for lane in 0..<8 { mean[lane] = Float(sum[lane] / count) }
                var squares = SIMD8<Double>()
                for n in 0..<batch {
                    let planeSum = blockedPlaneSum(source + layout.base(n, group), plane: plane, stride: block, deviationsFrom: mean)
                    for lane in 0..<8 { squares[lane] += Double(planeSum[lane]) }
                }
                let gamma = layout.lanes(scale.pointer, group), beta = layout.lanes(shift.pointer, group)
                var a = SIMD8<Float>(), b = SIMD8<Float>()
                for lane in 0..<layout.validLanes(group) {
                    let c = group * 8 + lane
                    let variance = Float(squares[lane] / count)
                    let invstd = 1 / (variance + epsilon).squareRoot()
                    (a[lane], b[lane]) = coefficients(mean: mean[lane], inverseDeviation: invstd, scale: gamma[lane], shift: beta[lane])
                    means.pointer[c] = mean[lane]
                    inverse.pointer[c] = invstd
                    variances.pointer[c] = variance
                }
                normaliseGroup(source, into: target, layout, group, a, b, rectified: rectified)
            }
        }
        return (out, Tensor(shape: [channels], storage: means), Tensor(shape: [channels], storage: inverse),
                Tensor(shape: [channels], storage: variances))
    }

    /// Writes group `group` of the output: x·a + b per lane (rectified when asked), padding lanes zero.
    @inline(__always)
    static func normaliseGroup(_ source: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>,
                               _ layout: BlockedLanes, _ group: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, rectified: Bool) {
        let valid = layout.valid(group), padded = layout.channels < group * 8 + 8
        for n in 0..<layout.batch {
            let base = layout.base(n, group)
            for i in 0..<layout.plane {
                let offset = base + i * layout.block
                var y = normaliseLanes(SIMD8.load(source + offset), a, b, rectified: rectified)
                if padded { y.replace(with: 0, where: .!valid) }
                y.store(to: target + offset)
            }
        }
    }

    /// `output` on a blocked x: the training forward's output again, bit for bit (blocked like x).
    static func outputBlocked(_ x: Tensor, block: Int, scale: Tensor, shift: Tensor, mean: Tensor, inverseDeviation: Tensor,
                              rectified: Bool) -> TensorStorage {
        let layout = BlockedLanes(x.shape, block: block)
        let out = TensorStorage(count: x.heldStorage.count)
        Parallel.forEachChunk(layout.groups, minimumPerChunk: max(1, 8_192 / max(1, layout.batch * layout.plane))) { groups in
            for group in groups {
                var a = SIMD8<Float>(), b = SIMD8<Float>()
                for lane in 0..<layout.validLanes(group) {
                    let c = group * 8 + lane
                    (a[lane], b[lane]) = coefficients(mean: mean.pointer[c], inverseDeviation: inverseDeviation.pointer[c],
                                                      scale: scale.pointer[c], shift: shift.pointer[c])
                }
                normaliseGroup(x.heldPointer, into: out.pointer, layout, group, a, b, rectified: rectified)
            }
        }
        return out
    }

    /// Σ g and Σ g·(x − mean) over one image's plane for eight channels at once, lane by lane in
    /// `backward`'s order (eight phase sums each, the tail in phase 0), in one sequential sweep. With
    /// `mask` (the forward's a and b), g counts only where x·a + b > 0.
    static func blockedGradientSums(_ g: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, plane: Int, stride: Int,
                                    mean: SIMD8<Float>, mask: (SIMD8<Float>, SIMD8<Float>)?) -> (SIMD8<Float>, SIMD8<Float>) {
        let whole = plane / 8 * 8
        @inline(__always) func sums(rectified: Bool, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
            var g0 = SIMD8<Float>(), g1 = SIMD8<Float>(), g2 = SIMD8<Float>(), g3 = SIMD8<Float>()
            var g4 = SIMD8<Float>(), g5 = SIMD8<Float>(), g6 = SIMD8<Float>(), g7 = SIMD8<Float>()
            var x0 = SIMD8<Float>(), x1 = SIMD8<Float>(), x2 = SIMD8<Float>(), x3 = SIMD8<Float>()
            var x4 = SIMD8<Float>(), x5 = SIMD8<Float>(), x6 = SIMD8<Float>(), x7 = SIMD8<Float>()
            @inline(__always) func add(_ i: Int, _ sg: inout SIMD8<Float>, _ sx: inout SIMD8<Float>) {
                let xi = SIMD8.load(x + i * stride)
                var gi = SIMD8.load(g + i * stride)
                if rectified { gi.replace(with: 0, where: .!(xi * a + b .> 0)) }
                sg += gi
                sx += gi * (xi - mean)
            }
            var i = 0
            while i < whole {
                add(i, &g0, &x0); add(i + 1, &g1, &x1); add(i + 2, &g2, &x2); add(i + 3, &g3, &x3)
                add(i + 4, &g4, &x4); add(i + 5, &g5, &x5); add(i + 6, &g6, &x6); add(i + 7, &g7, &x7)
                i += 8
            }
            for tail in whole..<plane { add(tail, &g0, &x0) }
            return (((g0 + g1) + (g2 + g3)) + ((g4 + g5) + (g6 + g7)), ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)))
        }
        if let (a, b) = mask { return sums(rectified: true, a, b) }
        return sums(rectified: false, SIMD8(), SIMD8())
    }

    /// `backward` on a blocked x with g held in x's format: dx (blocked like x), dscale, dshift.
    static func backwardBlocked(_ g: UnsafeMutablePointer<Float>, x: Tensor, block: Int, scale: Tensor, mean: Tensor,
                                inverseDeviation: Tensor, rectifiedShift: Tensor? = nil, needs: [Bool]) -> [Tensor?] {
        let layout = BlockedLanes(x.shape, block: block)
        let (batch, plane, channels) = (layout.batch, layout.plane, layout.channels)
        let count = Float(batch * plane)
        let dx = needs[0] ? TensorStorage(count: x.heldStorage.count) : nil
        let dscale = TensorStorage(count: channels), dshift = TensorStorage(count: channels)
        let source = x.heldPointer
        let rectified = rectifiedShift != nil
        Parallel.forEachChunk(layout.groups, minimumPerChunk: max(1, 8_192 / max(1, batch * plane))) { groups in
            for group in groups {
                let m = layout.lanes(mean.pointer, group), s = layout.lanes(inverseDeviation.pointer, group)
                let gamma = layout.lanes(scale.pointer, group)
                // The forward pass's a and b, for the ReLU mask.
                let a = s * gamma, b = rectifiedShift.map { layout.lanes($0.pointer, group) - m * a } ?? SIMD8()
                /// g at position `offset`, zeroed where the forward's output was not positive.
                @inline(__always) func gradient(_ offset: Int) -> SIMD8<Float> {
                    let gi = SIMD8.load(g + offset)
                    guard rectified else { return gi }
                    return gi.replacing(with: 0, where: .!(SIMD8.load(source + offset) * a + b .> 0))
                }
                var sumG = SIMD8<Double>(), sumGX = SIMD8<Double>()
                for n in 0..<batch {
                    let (planeG, planeGX) = blockedGradientSums(g + layout.base(n, group), source + layout.base(n, group),
                                                                 plane: plane, stride: block, mean: m,
                                                                 mask: rectified ? (a, b) : nil)
                    for lane in 0..<8 {
                        sumG[lane] += Double(planeG[lane])
                        sumGX[lane] += Double(planeGX[lane])
                    }
                }
                var shiftGradient = SIMD8<Float>(), scaleGradient = SIMD8<Float>()
                for lane in 0..<layout.validLanes(group) {
                    shiftGradient[lane] = Float(sumG[lane])
                    scaleGradient[lane] = Float(sumGX[lane]) * s[lane]
                    dshift.pointer[group * 8 + lane] = shiftGradient[lane]
                    dscale.pointer[group * 8 + lane] = scaleGradient[lane]
                }
                guard let dx else { continue }
                let k = gamma * s / count
                let valid = layout.valid(group), padded = channels < group * 8 + 8
                for n in 0..<batch {
                    let base = layout.base(n, group)
                    for i in 0..<plane {
                        let offset = base + i * block
                        let xhat = (SIMD8.load(source + offset) - m) * s
                        var value = k * (count * gradient(offset) - shiftGradient - xhat * scaleGradient)
                        if padded { value.replace(with: 0, where: .!valid) }
                        value.store(to: dx.pointer + offset)
                    }
                }
            }
        }
        return [dx.map { Tensor(shape: x.shape, storage: $0, format: x.format) },
                needs[1] ? Tensor(shape: [channels], storage: dscale) : nil,
                needs[2] ? Tensor(shape: [channels], storage: dshift) : nil]
    }
}
