/// Batch normalisation over channels of N×C×H×W (or N×C). Parameters `NAME.scale`, `NAME.shift`;
/// buffers `NAME.runningMean`, `NAME.runningVariance`. In training the batch statistics go to the
/// context's sink (if any); running statistics are never changed here.
public struct BatchNorm2D: Layer {
    public let name: String, channels: Int, epsilon: Float

    public init(name: String, channels: Int, epsilon: Float = 1e-5) {
        self.name = name; self.channels = channels; self.epsilon = epsilon
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        Parameters([("\(name).scale", Tensor.ones([channels])), ("\(name).shift", Tensor.zeros([channels]))])
    }

    public func initialBuffers() -> Parameters {
        Parameters([("\(name).runningMean", Tensor.zeros([channels])), ("\(name).runningVariance", Tensor.ones([channels]))])
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        callAsFunction(input, context, followedByReLU: false)
    }

    /// The normalised input, rectified (max(0, ·)) when `followedByReLU`: in training that is one
    /// fused op (`batchNormReLU`), the same numbers as `relu(self(input, context))`. In training
    /// a blocked input's output may stay blocked (`output`, see `batchNorm`).
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext, followedByReLU: Bool,
                               output: OutputLayout = .standard) -> Tensor {
        let scale = context.parameters["\(name).scale"], shift = context.parameters["\(name).shift"]
        if context.isTraining {
            let result = followedByReLU ? batchNormReLU(input, scale: scale, shift: shift, epsilon: epsilon, output: output)
                                        : batchNorm(input, scale: scale, shift: shift, epsilon: epsilon, output: output)
            context.statistics?.record(layer: name, mean: result.mean, variance: result.variance,
                                       count: input.count / channels)
            return result.output
        }
        return batchNorm(input, scale: scale, shift: shift, runningMean: context.buffers["\(name).runningMean"],
                         runningVariance: context.buffers["\(name).runningVariance"], epsilon: epsilon, rectified: followedByReLU)
    }
}

/// Max pooling layer. `output: .blocked` keeps a channel-blocked input's layout in the output
/// (for a convolution next; see `maxPool2d`).
public struct MaxPool2D: Layer {
    public let size: Int, stride: Int, padding: Int
    public let output: OutputLayout
    public init(size: Int, stride: Int? = nil, padding: Int = 0, output: OutputLayout = .standard) {
        (self.size, self.stride, self.padding, self.output) = (size, stride ?? size, padding, output)
    }
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        maxPool2d(input, size: size, stride: stride, padding: padding, output: output)
    }
}

/// Up-sampling layer (nearest by an integer factor, or bilinear by a factor).
public struct Upsample: Layer {
    public enum Mode: String, Sendable { case nearest, bilinear }
    public let factor: Int, mode: Mode
    public init(factor: Int, mode: Mode = .nearest) { self.factor = factor; self.mode = mode }
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        switch mode {
        case .nearest: return upsampleNearest(input, factor: factor)
        case .bilinear: return upsampleBilinear(input, height: input.shape[2] * factor, width: input.shape[3] * factor)
        }
    }
}
