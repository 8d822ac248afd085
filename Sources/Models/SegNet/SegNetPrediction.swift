import TandemCore

/// A SegNet task head (the MTAN code's `conv_layer(pred=True)`): a 3×3 convolution with bias at
/// the decoder's width, then a 1×1 convolution with bias to the task's channels, then the head's
/// output kind (unit normalisation for normals). No normalisation or ReLU between the two.
/// Parameters `NAME.0.weight/bias`, `NAME.1.weight/bias`.
///
/// The reference ends segmentation with log-softmax; Tandem's heads give logits and the
/// segmentation loss takes the log-softmax (the same loss: log-softmax is idempotent).
struct SegNetPrediction: Layer {
    let hidden: Conv2D, projection: Conv2D
    let output: HeadOutput

    init(name: String, inputChannels: Int, outputChannels: Int, output: HeadOutput) {
        hidden = Conv2D(name: "\(name).0", inputChannels: inputChannels, outputChannels: inputChannels, kernelSize: 3, padding: 1)
        projection = Conv2D(name: "\(name).1", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1)
        self.output = output
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        xavierNormal(hidden, generator: &generator).merging(xavierNormal(projection, generator: &generator))
    }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        output.apply(projection(hidden(input, context), context))
    }
}
