// Batch normalisation over N, H, W for each channel of an N×C×H×W tensor (or N, for N×C).
// Built from differentiable ops, so its derivatives of every order are exact.

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
    let axes = x.rank == 4 ? [0, 2, 3] : [0]
    let channelShape = x.rank == 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]]
    let mean = x.mean(axes: axes, keepingDimensions: true)
    let centred = x - mean
    let variance = (centred * centred).mean(axes: axes, keepingDimensions: true)
    let factor = rsqrt(variance + epsilon) * scale.reshaped(channelShape)
    let output = centred * factor + shift.reshaped(channelShape)
    return BatchNormResult(output: output, mean: mean.detached.reshaped([x.shape[1]]),
                           variance: variance.detached.reshaped([x.shape[1]]))
}

/// Evaluation-mode batch norm with given running statistics (constants).
public func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor,
                      epsilon: Float = 1e-5) -> Tensor {
    let channelShape = x.rank == 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]]
    let factor = rsqrt(runningVariance.detached.reshaped(channelShape) + epsilon) * scale.reshaped(channelShape)
    return (x - runningMean.detached.reshaped(channelShape)) * factor + shift.reshaped(channelShape)
}
