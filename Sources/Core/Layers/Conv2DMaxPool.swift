/// A convolution followed by max pooling (`poolSize`×`poolSize` windows, stride `poolSize`) as
/// one node (`conv2dMaxPool`): the same numbers as `Conv2D` then `MaxPool2D` except for the
/// rounding of the bias gradient, and on oneDNN without the convolution's output reordered to
/// N×C×H×W and back. Parameters are the convolution's (`NAME.weight`, `NAME.bias`).
public struct Conv2DMaxPool: Layer {
    public let convolution: Conv2D, poolSize: Int

    public init(_ convolution: Conv2D, poolSize: Int) {
        self.convolution = convolution
        self.poolSize = poolSize
    }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        convolution.initialParameters(generator: &generator)
    }

    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let name = convolution.name
        return conv2dMaxPool(input, weight: context.parameters["\(name).weight"],
                             bias: convolution.hasBias ? context.parameters["\(name).bias"] : nil,
                             stride: convolution.stride, padding: convolution.padding, poolSize: poolSize)
    }
}
