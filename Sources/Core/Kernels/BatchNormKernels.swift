// Batch-norm kernels on N×C×H×W (or N×C).
//
// **Summation order.** Every per-channel sum (mean, variance, Σg, Σg·(x − μ)) is taken image by
// image. Over one image's plane of a channel, eight running Float sums s_k collect the values at
// positions i ≡ k (mod 8) of the whole groups of eight (the lanes of one vector register), the
// tail is added to s_0, and the plane's sum is ((s_0 + s_1) + (s_2 + s_3)) + ((s_4 + s_5) + (s_6 + s_7)),
// the order of `ReductionKernels.channelSums`. The images' sums are added in image order in
// Double. The order depends on the shape alone, never on the thread count (threads take whole
// channels), and the eight independent sums keep the adds from waiting on each other.

enum BatchNormKernels {
    /// ((s_0 + s_1) + (s_2 + s_3)) + ((s_4 + s_5) + (s_6 + s_7)): how a plane's eight phase sums meet.
    @inline(__always)
    static func combine(_ s: SIMD8<Float>) -> Float { ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) }

    /// Σ_i f(i) over a plane of `plane` positions in the order above: `lanes(i)` gives f at
    /// positions i…i+7, `scalar(i)` at position i.
    @inline(__always)
    static func planeSum(_ plane: Int, _ lanes: (Int) -> SIMD8<Float>, _ scalar: (Int) -> Float) -> Float {
        var s = SIMD8<Float>(), i = 0
        while i + 8 <= plane { s += lanes(i); i += 8 }
        while i < plane { s[0] += scalar(i); i += 1 }
        return combine(s)
    }

    /// Evaluation mode, per element of channel c: ((x − mean[c]) · factor[c]) + shift[c], each
    /// operation rounded to Float as the broadcast ops round it, then `v > 0 ? v : 0` (as `relu`)
    /// when `rectified`. Rows (sample, channel) are independent, so any chunking gives the same bits.
    static func inference(_ x: Tensor, mean: Tensor, factor: Tensor, shift: Tensor, rectified: Bool) -> TensorStorage {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.count / max(1, batch * channels)
        let out = TensorStorage(count: x.count)
        let source = x.pointer, target = out.pointer, mu = mean.pointer, f = factor.pointer, beta = shift.pointer
        Parallel.forEachChunk(batch * channels, minimumPerChunk: max(1, 32_768 / max(1, plane))) { range in
            for row in range {
                let c = row % channels
                let m = mu[c], a = f[c], b = beta[c]
                let base = row * plane
                if rectified {
                    for i in 0..<plane { let v = (source[base + i] - m) * a + b; target[base + i] = v > 0 ? v : 0 }
                } else {
                    for i in 0..<plane { target[base + i] = (source[base + i] - m) * a + b }
                }
            }
        }
        return out
    }

    /// Per channel: mean, 1/√(var + ε) and the biased variance (constants), and the output
    /// x·a + b with a = γ/√(var + ε), b = β − mean·a; with `rectified`, max(0, ·) of it.
    static func forward(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float, rectified: Bool = false)
        -> (TensorStorage, Tensor, Tensor, Tensor) {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.count / (batch * channels)
        let count = Double(batch * plane)
        let out = TensorStorage(count: x.count)
        let means = TensorStorage(count: channels), inverse = TensorStorage(count: channels), variances = TensorStorage(count: channels)
        let source = x.pointer, target = out.pointer, gamma = scale.pointer, beta = shift.pointer
        Parallel.forEachChunk(channels, minimumPerChunk: max(1, 65_536 / max(1, batch * plane))) { range in
            for c in range {
                var sum = 0.0
                for n in 0..<batch {
                    let base = source + (n * channels + c) * plane
                    sum += Double(planeSum(plane, { SIMD8.load(base + $0) }, { base[$0] }))
                }
                let mean = Float(sum / count)
                let meanLanes = SIMD8<Float>(repeating: mean)
                var squares = 0.0
                for n in 0..<batch {
                    let base = source + (n * channels + c) * plane
                    squares += Double(planeSum(plane, { let d = SIMD8.load(base + $0) - meanLanes; return d * d },
                                               { let d = base[$0] - mean; return d * d }))
                }
                let variance = Float(squares / count)
                let invstd = 1 / (variance + epsilon).squareRoot()
                let (a, b) = coefficients(mean: mean, inverseDeviation: invstd, scale: gamma[c], shift: beta[c])
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    normalise(source + offset, into: target + offset, count: plane, a, b, rectified: rectified)
                }
                means.pointer[c] = mean
                inverse.pointer[c] = invstd
                variances.pointer[c] = variance
            }
        }
        return (out, Tensor(shape: [channels], storage: means), Tensor(shape: [channels], storage: inverse),
                Tensor(shape: [channels], storage: variances))
    }

    /// The forward's per-channel factor and offset: a = γ/√(var + ε), b = β − mean·a.
    @inline(__always)
    static func coefficients(mean: Float, inverseDeviation: Float, scale: Float, shift: Float) -> (Float, Float) {
        let a = inverseDeviation * scale
        return (a, shift - mean * a)
    }

    /// target[i] = source[i]·a + b, or max(0, ·) of it when `rectified`.
    @inline(__always)
    static func normalise(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int,
                          _ a: Float, _ b: Float, rectified: Bool) {
        if rectified {
            for i in 0..<count { target[i] = max(0, source[i] * a + b) }
        } else {
            for i in 0..<count { target[i] = source[i] * a + b }
        }
    }

    /// The training forward's output again, bit for bit, from x and the statistics it returned
    /// (for the tape to recompute it instead of keeping it: `SavedTensor`).
    static func output(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, inverseDeviation: Tensor,
                       rectified: Bool) -> TensorStorage {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.count / (batch * channels)
        let out = TensorStorage(count: x.count)
        let source = x.pointer, target = out.pointer
        let gamma = scale.pointer, beta = shift.pointer, mu = mean.pointer, inverse = inverseDeviation.pointer
        Parallel.forEachChunk(batch * channels, minimumPerChunk: max(1, 32_768 / max(1, plane))) { range in
            for row in range {
                let c = row % channels
                let (a, b) = coefficients(mean: mu[c], inverseDeviation: inverse[c], scale: gamma[c], shift: beta[c])
                normalise(source + row * plane, into: target + row * plane, count: plane, a, b, rectified: rectified)
            }
        }
        return out
    }

    /// dx = scale·invstd/M · (M·g − Σg − x̂·Σ(g·x̂)), dscale = Σ g·x̂, dshift = Σ g. With
    /// `rectifiedShift` (β of `batchNormReLU`), g is first zeroed where the forward's output was not
    /// positive: where x·a + b ≤ 0, recomputed with the forward's a and b (the same bits, so the same
    /// mask), which spares reading the output twice.
    static func backward(_ g: Tensor, x: Tensor, scale: Tensor, mean: Tensor, inverseDeviation: Tensor,
                         rectifiedShift: Tensor? = nil, needs: [Bool]) -> [Tensor?] {
        let beta = rectifiedShift?.pointer
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.count / (batch * channels)
        let count = Float(batch * plane)
        let dx = needs[0] ? TensorStorage(count: x.count) : nil
        let dscale = TensorStorage(count: channels), dshift = TensorStorage(count: channels)
        let source = x.pointer, gradient = g.pointer, gamma = scale.pointer, mu = mean.pointer, invstd = inverseDeviation.pointer
        Parallel.forEachChunk(channels, minimumPerChunk: max(1, 65_536 / max(1, batch * plane))) { range in
            for c in range {
                let m = mu[c], s = invstd[c]
                let meanLanes = SIMD8<Float>(repeating: m)
                // The forward pass's a and b, for the ReLU mask.
                let a = s * gamma[c], b = beta.map { $0[c] - m * a } ?? 0
                let aLanes = SIMD8<Float>(repeating: a), bLanes = SIMD8<Float>(repeating: b)
                /// g at positions i…i+7, zeroed where the forward's output was not positive (a
                /// vector select: a scalar branch on a random pattern mispredicts about half the time).
                @inline(__always) func lanes(_ i: Int) -> SIMD8<Float> {
                    let gi = SIMD8.load(gradient + i)
                    guard beta != nil else { return gi }
                    return gi.replacing(with: 0, where: .!(SIMD8.load(source + i) * aLanes + bLanes .> 0))
                }
                @inline(__always) func scalar(_ i: Int) -> Float {
                    guard beta != nil else { return gradient[i] }
                    return source[i] * a + b > 0 ? gradient[i] : 0
                }
                var sumG = 0.0, sumGX = 0.0
                for n in 0..<batch {
                    // Σg and Σg·(x − μ) in one pass: two sets of eight phase sums.
                    let offset = (n * channels + c) * plane
                    var lanesG = SIMD8<Float>(), lanesGX = SIMD8<Float>(), i = 0
                    while i + 8 <= plane {
                        let gi = lanes(offset + i)
                        lanesG += gi
                        lanesGX += gi * (SIMD8.load(source + offset + i) - meanLanes)
                        i += 8
                    }
                    while i < plane {
                        let gi = scalar(offset + i)
                        lanesG[0] += gi
                        lanesGX[0] += gi * (source[offset + i] - m)
                        i += 1
                    }
                    sumG += Double(combine(lanesG))
                    sumGX += Double(combine(lanesGX))
                }
                let shiftGradient = Float(sumG), scaleGradient = Float(sumGX) * s
                dshift.pointer[c] = shiftGradient
                dscale.pointer[c] = scaleGradient
                guard let dx else { continue }
                let k = gamma[c] * s / count
                let out = dx.pointer
                let deviationLanes = SIMD8<Float>(repeating: s)
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    var i = 0
                    while i + 8 <= plane {
                        let xhat = (SIMD8.load(source + offset + i) - meanLanes) * deviationLanes
                        let value = k * (count * lanes(offset + i) - shiftGradient - xhat * scaleGradient)
                        value.store(to: out + offset + i)
                        i += 8
                    }
                    while i < plane {
                        let xhat = (source[offset + i] - m) * s
                        out[offset + i] = k * (count * scalar(offset + i) - shiftGradient - xhat * scaleGradient)
                        i += 1
                    }
                }
            }
        }
        return [dx.map { Tensor(shape: x.shape, storage: $0) },
                needs[1] ? Tensor(shape: [channels], storage: dscale) : nil,
                needs[2] ? Tensor(shape: [channels], storage: dshift) : nil]
    }
}
