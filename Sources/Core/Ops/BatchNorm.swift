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
///
/// An x held in the convolution kernels' channel-blocked layout (a `conv2d(…, output: .blocked)`)
/// is normalised there, with the same numbers; `output: .blocked` then leaves y blocked too.
public func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float = 1e-5,
                      output: OutputLayout = .standard) -> BatchNormResult {
    trainingBatchNorm("batchNorm", x, scale: scale, shift: shift, epsilon: epsilon, rectified: false, output: output)
}

/// Training-mode batch norm followed by ReLU, as one op: y = max(0, BN(x)). The forward writes
/// the rectified output in the normalisation pass; the backward masks the gradient on the fly
/// inside the batch-norm backward kernel, recomputing where the output was positive from x (no
/// mask or masked-gradient tensors).
/// Equal to `relu(batchNorm(…).output)`; with recording on, the backward is rebuilt from
/// differentiable pieces like `batchNorm`'s. Layouts as `batchNorm`'s.
public func batchNormReLU(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float = 1e-5,
                          output: OutputLayout = .standard) -> BatchNormResult {
    trainingBatchNorm("batchNormReLU", x, scale: scale, shift: shift, epsilon: epsilon, rectified: true, output: output)
}

/// `batchNorm` (`rectified`: `batchNormReLU`) as one node, on N×C×H×W or on x's blocked layout.
private func trainingBatchNorm(_ op: String, _ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float, rectified: Bool,
                               output: OutputLayout) -> BatchNormResult {
    precondition(x.rank == 4 || x.rank == 2, "\(op) needs N×C×H×W or N×C, got \(x.shape)")
    let channels = x.shape[1]
    precondition(scale.count == channels && shift.count == channels, "\(op): scale/shift need \(channels) values")
    guard case .blocked(let block) = x.format else {
        let (y, mean, inverseDeviation, variance) = BatchNormKernels.forward(x, scale: scale, shift: shift, epsilon: epsilon,
                                                                             rectified: rectified)
        let result = Tape.record(op, shape: x.shape, storage: y, inputs: [x, scale, shift],
                                 saved: [x, scale, shift, mean, inverseDeviation],
                                 recomputeOutput: { BatchNormKernels.output($0[0], scale: $0[1], shift: $0[2], mean: $0[3],
                                                                            inverseDeviation: $0[4], rectified: rectified) }) { g, saved, needs in
            if Tape.isRecording {
                return composedBatchNormGradients(g, x: saved[0], scale: saved[1], shift: saved[2], epsilon: epsilon,
                                                  rectified: rectified, needs: needs)
            }
            return BatchNormKernels.backward(g, x: saved[0], scale: saved[1], mean: saved[3], inverseDeviation: saved[4],
                                             rectifiedShift: rectified ? saved[2] : nil, needs: needs)
        }
        return BatchNormResult(output: result, mean: mean, variance: variance)
    }
    let keepsBlocked = output == .blocked && OutputLayout.blockedOutputsAllowed
    let (shape, format) = (x.shape, x.format)
    /// y in the layout asked for: as computed (blocked like x), or reordered to N×C×H×W.
    let laidOut = { (blocked: TensorStorage) in
        keepsBlocked ? blocked : format.reordered(blocked, shape, to: .plain)
    }
    let (y, mean, inverseDeviation, variance) = BatchNormKernels.forwardBlocked(x, block: block, scale: scale, shift: shift,
                                                                                epsilon: epsilon, rectified: rectified)
    let result = Tape.record(op, shape: shape, storage: laidOut(y), format: keepsBlocked ? format : .plain,
                             inputs: [x, scale, shift], saved: [x, scale, shift, mean, inverseDeviation],
                             recomputeOutput: { laidOut(BatchNormKernels.outputBlocked($0[0], block: block, scale: $0[1], shift: $0[2],
                                                                                       mean: $0[3], inverseDeviation: $0[4],
                                                                                       rectified: rectified)) }) { g, saved, needs in
        if Tape.isRecording {
            return composedBatchNormGradients(g, x: saved[0], scale: saved[1], shift: saved[2], epsilon: epsilon,
                                              rectified: rectified, needs: needs)
        }
        let gradient = g.storage(in: saved[0].format)
        return withExtendedLifetime(gradient) {
            BatchNormKernels.backwardBlocked(gradient.pointer, x: saved[0], block: block, scale: saved[1], mean: saved[3],
                                             inverseDeviation: saved[4], rectifiedShift: rectified ? saved[2] : nil, needs: needs)
        }
    }
    return BatchNormResult(output: result, mean: mean, variance: variance)
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

// The kernels are in Kernels/BatchNormKernels.swift.
