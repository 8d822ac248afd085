import Foundation

// Batch normalisation over N (and H, W) for each channel of an N×C×H×W (or N×C) tensor.
//
// Training mode is one fused primitive: a per-channel forward kernel, and a fused first-order
// backward kernel. When the backward itself is being recorded (gradients of gradients), the rule
// instead rebuilds the op from differentiable pieces and differentiates those, so derivatives of
// every order stay exact while ordinary training gets the fast kernels.

/// The result of a batch-norm forward pass in training mode: the output and the batch statistics
/// (mean and biased variance per channel, constants) for the caller to fold into running averages.
public struct BatchNormResult {
    public let output: Tensor
    public let mean: Tensor
    public let variance: Tensor
}

/// Training-mode batch norm: normalise with the batch's own statistics.
/// y = (x − μ_B) / √(σ²_B + ε) · scale + shift.
public func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float = 1e-5) -> BatchNormResult {
    precondition(x.rank == 4 || x.rank == 2, "batchNorm needs N×C×H×W or N×C, got \(x.shape)")
    let channels = x.shape[1]
    precondition(scale.count == channels && shift.count == channels, "batchNorm: scale/shift need \(channels) values")
    let (output, mean, inverseDeviation, variance) = BatchNormKernels.forward(x, scale: scale, shift: shift, epsilon: epsilon)
    let y = Tape.record("batchNorm", shape: x.shape, storage: output, inputs: [x, scale, shift],
                        saved: [x, scale, shift, mean, inverseDeviation]) { g, saved, needs in
        if Tape.isRecording {
            return composedBatchNormGradients(g, x: saved[0], scale: saved[1], shift: saved[2], epsilon: epsilon, needs: needs)
        }
        return BatchNormKernels.backward(g, x: saved[0], scale: saved[1], mean: saved[3], inverseDeviation: saved[4], needs: needs)
    }
    return BatchNormResult(output: y, mean: mean, variance: variance)
}

/// Training-mode batch norm followed by ReLU, as one op: y = max(0, BN(x)). The forward writes
/// the rectified output in the normalisation pass; the backward masks the gradient on the fly
/// inside the batch-norm backward kernel (no ReLU output, mask or masked-gradient tensors).
/// Equal to `relu(batchNorm(…).output)`; with recording on, the backward is rebuilt from
/// differentiable pieces like `batchNorm`'s.
public func batchNormReLU(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float = 1e-5) -> BatchNormResult {
    precondition(x.rank == 4 || x.rank == 2, "batchNormReLU needs N×C×H×W or N×C, got \(x.shape)")
    let channels = x.shape[1]
    precondition(scale.count == channels && shift.count == channels, "batchNormReLU: scale/shift need \(channels) values")
    let (output, mean, inverseDeviation, variance) = BatchNormKernels.forward(x, scale: scale, shift: shift, epsilon: epsilon,
                                                                              rectified: true)
    // The output's values (without its node: saving the output tensor itself would be a cycle).
    let rectified = Tensor(shape: x.shape, storage: output)
    let y = Tape.record("batchNormReLU", shape: x.shape, storage: output, inputs: [x, scale, shift],
                        saved: [x, scale, shift, mean, inverseDeviation, rectified]) { g, saved, needs in
        if Tape.isRecording {
            return composedBatchNormGradients(g, x: saved[0], scale: saved[1], shift: saved[2], epsilon: epsilon,
                                              rectified: true, needs: needs)
        }
        return BatchNormKernels.backward(g, x: saved[0], scale: saved[1], mean: saved[3], inverseDeviation: saved[4],
                                         rectifiedOutput: saved[5], needs: needs)
    }
    return BatchNormResult(output: y, mean: mean, variance: variance)
}

/// Evaluation-mode batch norm with given running statistics (constants): (x − μ)·(γ/√(σ² + ε)) + β,
/// followed by ReLU when `rectified`. Differentiable in x, γ and β. With recording off (evaluation,
/// lookahead losses) it runs as one pass over x that computes every element exactly as the
/// differentiable form does — the same numbers, bit for bit, without three broadcast passes.
public func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor,
                      epsilon: Float = 1e-5, rectified: Bool = false) -> Tensor {
    let channelShape = x.rank == 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]]
    let factor = rsqrt(runningVariance.detached.reshaped(channelShape) + epsilon) * scale.reshaped(channelShape)
    if !Tape.isRecording {
        return Tensor(shape: x.shape, storage: BatchNormKernels.inference(x, mean: runningMean, factor: factor, shift: shift,
                                                                          rectified: rectified))
    }
    let normalised = (x - runningMean.detached.reshaped(channelShape)) * factor + shift.reshaped(channelShape)
    return rectified ? relu(normalised) : normalised
}

/// Training-mode batch norm from differentiable pieces (the reference the fused op must equal).
func composedBatchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float) -> Tensor {
    let axes = x.rank == 4 ? [0, 2, 3] : [0]
    let channelShape = x.rank == 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]]
    let mean = x.mean(axes: axes, keepingDimensions: true)
    let centred = x - mean
    let variance = (centred * centred).mean(axes: axes, keepingDimensions: true)
    return centred * (rsqrt(variance + epsilon) * scale.reshaped(channelShape)) + shift.reshaped(channelShape)
}

/// Differentiable VJP of batch norm (followed by ReLU when `rectified`): differentiates the
/// composed form with `createGraph`.
private func composedBatchNormGradients(_ g: Tensor, x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float,
                                        rectified: Bool = false, needs: [Bool]) -> [Tensor?] {
    let inputs = [x, scale, shift].map { $0.isTracked ? $0 : $0.tracked() }
    let normalised = composedBatchNorm(inputs[0], scale: inputs[1], shift: inputs[2], epsilon: epsilon)
    let y = rectified ? relu(normalised) : normalised
    let gradients = grad(of: y, wrt: inputs, seed: g, createGraph: true)
    return (0..<3).map { needs[$0] ? gradients[$0] : nil }
}

enum BatchNormKernels {
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

    /// Per channel: mean, 1/√(var + ε) and the biased variance (constants), and the output.
    /// With `rectified`, the output is max(0, ·) of the normalised values.
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
                    var partial: Float = 0
                    for i in 0..<plane { partial += base[i] }
                    sum += Double(partial)
                }
                let mean = Float(sum / count)
                var squares = 0.0
                for n in 0..<batch {
                    let base = source + (n * channels + c) * plane
                    var partial: Float = 0
                    for i in 0..<plane { let d = base[i] - mean; partial += d * d }
                    squares += Double(partial)
                }
                let variance = Float(squares / count)
                let invstd = 1 / (variance + epsilon).squareRoot()
                let a = invstd * gamma[c], b = beta[c] - mean * a
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    if rectified {
                        for i in 0..<plane { target[offset + i] = max(0, source[offset + i] * a + b) }
                    } else {
                        for i in 0..<plane { target[offset + i] = source[offset + i] * a + b }
                    }
                }
                means.pointer[c] = mean
                inverse.pointer[c] = invstd
                variances.pointer[c] = variance
            }
        }
        return (out, Tensor(shape: [channels], storage: means), Tensor(shape: [channels], storage: inverse),
                Tensor(shape: [channels], storage: variances))
    }

    /// dx = scale·invstd/M · (M·g − Σg − x̂·Σ(g·x̂)), dscale = Σ g·x̂, dshift = Σ g. With
    /// `rectifiedOutput` (the output of `batchNormReLU`), g is first zeroed where that output is 0.
    static func backward(_ g: Tensor, x: Tensor, scale: Tensor, mean: Tensor, inverseDeviation: Tensor,
                         rectifiedOutput: Tensor? = nil, needs: [Bool]) -> [Tensor?] {
        // The mask is tested outside the inner loops (two plain loops each), so both stay vectorisable.
        let mask = rectifiedOutput?.pointer
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.count / (batch * channels)
        let count = Float(batch * plane)
        let dx = needs[0] ? TensorStorage(count: x.count) : nil
        let dscale = TensorStorage(count: channels), dshift = TensorStorage(count: channels)
        let source = x.pointer, gradient = g.pointer, gamma = scale.pointer, mu = mean.pointer, invstd = inverseDeviation.pointer
        Parallel.forEachChunk(channels, minimumPerChunk: max(1, 65_536 / max(1, batch * plane))) { range in
            for c in range {
                let m = mu[c], s = invstd[c]
                var sumG = 0.0, sumGX = 0.0
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    var pg: Float = 0, pgx: Float = 0
                    if let mask {
                        // Eight lanes with a vector select: a scalar `y > 0 ? g : 0` branches on a
                        // random pattern and mispredicts about half the time.
                        var lanesG = SIMD8<Float>(), lanesGX = SIMD8<Float>()
                        let meanLanes = SIMD8<Float>(repeating: m)
                        var i = 0
                        while i + 8 <= plane {
                            let gi = SIMD8<Float>.load(gradient + offset + i)
                                .replacing(with: 0, where: SIMD8<Float>.load(mask + offset + i) .<= 0)
                            lanesG += gi
                            lanesGX += gi * (SIMD8<Float>.load(source + offset + i) - meanLanes)
                            i += 8
                        }
                        pg = lanesG.sum()
                        pgx = lanesGX.sum()
                        while i < plane {
                            let gi = mask[offset + i] > 0 ? gradient[offset + i] : 0
                            pg += gi
                            pgx += gi * (source[offset + i] - m)
                            i += 1
                        }
                    } else {
                        for i in 0..<plane {
                            let gi = gradient[offset + i]
                            pg += gi
                            pgx += gi * (source[offset + i] - m)
                        }
                    }
                    sumG += Double(pg)
                    sumGX += Double(pgx)
                }
                let shiftGradient = Float(sumG), scaleGradient = Float(sumGX) * s
                dshift.pointer[c] = shiftGradient
                dscale.pointer[c] = scaleGradient
                if let dx {
                    let k = gamma[c] * s / count
                    let out = dx.pointer
                    for n in 0..<batch {
                        let offset = (n * channels + c) * plane
                        if let mask {
                            let meanLanes = SIMD8<Float>(repeating: m), deviationLanes = SIMD8<Float>(repeating: s)
                            var i = 0
                            while i + 8 <= plane {
                                let xhat = (SIMD8<Float>.load(source + offset + i) - meanLanes) * deviationLanes
                                let gi = SIMD8<Float>.load(gradient + offset + i)
                                    .replacing(with: 0, where: SIMD8<Float>.load(mask + offset + i) .<= 0)
                                let value = k * (count * gi - shiftGradient - xhat * scaleGradient)
                                value.store(to: out + offset + i)
                                i += 8
                            }
                            while i < plane {
                                let xhat = (source[offset + i] - m) * s
                                let gi = mask[offset + i] > 0 ? gradient[offset + i] : 0
                                out[offset + i] = k * (count * gi - shiftGradient - xhat * scaleGradient)
                                i += 1
                            }
                        } else {
                            for i in 0..<plane {
                                let xhat = (source[offset + i] - m) * s
                                out[offset + i] = k * (count * gradient[offset + i] - shiftGradient - xhat * scaleGradient)
                            }
                        }
                    }
                }
            }
        }
        return [dx.map { Tensor(shape: x.shape, storage: $0) },
                needs[1] ? Tensor(shape: [channels], storage: dscale) : nil,
                needs[2] ? Tensor(shape: [channels], storage: dshift) : nil]
    }
}
