// 2-D convolution and transposed convolution through im2col + GEMM.
//
// Three bilinear primitives, each the others' VJP:
//   forward      y  = conv(x, w)
//   inputGrad    dx = convInputGradient(dy, w)     (= transposed convolution of dy)
//   weightGrad   dw = convWeightGradient(x, dy)
// <conv(x,w), dy> = <x, inputGrad(dy,w)> = <w, weightGrad(x,dy)> gives every rule below.

/// Sizes of one convolution: input N×C×H×W, weight O×C×kh×kw, output N×O×Ho×Wo.
public struct ConvolutionGeometry: Hashable, Sendable {
    public var batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int
    public var outputChannels: Int, kernelHeight: Int, kernelWidth: Int
    public var stride: Int, padding: Int
    public var outputHeight: Int, outputWidth: Int

    var inputShape: [Int] { [batch, inputChannels, inputHeight, inputWidth] }
    var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    var weightShape: [Int] { [outputChannels, inputChannels, kernelHeight, kernelWidth] }
    var patchSize: Int { inputChannels * kernelHeight * kernelWidth }
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { inputHeight * inputWidth }
}

/// Convolution of `input` (N×C×H×W) with `weight` (O×C×kh×kw), plus `bias` (O) per output
/// channel when given. The bias is added inside the convolution's own output pass (no broadcast
/// tensor); its gradient is the sum of the output gradient over N, H and W.
///
/// `output: .blocked` leaves the output in the kernel's channel-blocked layout when there is one,
/// for a next op that reads it there (a convolution, a batch norm): the same numbers, fewer copies.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   output: OutputLayout = .standard) -> Tensor {
    let geometry = convolutionGeometry("conv2d", input, weight: weight, bias: bias, stride: stride, padding: padding)
    guard let bias else { return convolution(input, weight, geometry, output: output) }
    return convolution(input, weight, bias: bias, geometry, output: output)
}

/// The geometry of `op`'s convolution of `input` with `weight`, its arguments checked.
func convolutionGeometry(_ op: String, _ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) -> ConvolutionGeometry {
    precondition(input.rank == 4 && weight.rank == 4, "\(op) needs N×C×H×W input and O×C×kh×kw weight, got \(input.shape), \(weight.shape)")
    precondition(input.shape[1] == weight.shape[1], "\(op): input has \(input.shape[1]) channels, weight expects \(weight.shape[1])")
    let outH = (input.shape[2] + 2 * padding - weight.shape[2]) / stride + 1
    let outW = (input.shape[3] + 2 * padding - weight.shape[3]) / stride + 1
    precondition(outH > 0 && outW > 0, "\(op): input \(input.shape) too small for kernel \(weight.shape)")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "\(op): bias must have shape [\(weight.shape[0])], got \(bias!.shape)")
    return ConvolutionGeometry(batch: input.shape[0], inputChannels: input.shape[1], inputHeight: input.shape[2],
                               inputWidth: input.shape[3], outputChannels: weight.shape[0],
                               kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                               stride: stride, padding: padding, outputHeight: outH, outputWidth: outW)
}

/// Transposed convolution of `input` (N×Cin×H×W) with `weight` (Cin×Cout×kh×kw, PyTorch layout):
/// output N×Cout×((H−1)·stride − 2·padding + kh + outputPadding)×(…), plus `bias` (Cout) per
/// output channel when given (added in the op's own output pass). `output` as `conv2d`'s (without a bias).
public func transposedConv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                             outputPadding: Int = 0, output: OutputLayout = .standard) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && input.shape[1] == weight.shape[0],
                 "transposedConv2d needs N×Cin×H×W input and Cin×Cout×kh×kw weight, got \(input.shape), \(weight.shape)")
    precondition(outputPadding < stride || outputPadding == 0, "transposedConv2d: outputPadding must be smaller than stride")
    let outH = (input.shape[2] - 1) * stride - 2 * padding + weight.shape[2] + outputPadding
    let outW = (input.shape[3] - 1) * stride - 2 * padding + weight.shape[3] + outputPadding
    let geometry = ConvolutionGeometry(batch: input.shape[0], inputChannels: weight.shape[1], inputHeight: outH,
                                       inputWidth: outW, outputChannels: weight.shape[0],
                                       kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                       stride: stride, padding: padding, outputHeight: input.shape[2], outputWidth: input.shape[3])
    guard let bias else { return convolutionInputGradient(input, weight, geometry, output: output) }
    precondition(bias.shape == [weight.shape[1]], "transposedConv2d: bias must have shape [\(weight.shape[1])], got \(bias.shape)")
    return transposedConvolution(input, weight, bias: bias, geometry)
}

/// The gradient of a per-channel bias of an N×C×H×W output: Σ over N, H, W, one channel per
/// task in a fixed order (`ReductionKernels.channelSums`). Its VJP broadcasts back.
func channelBiasGradient(_ g: Tensor) -> Tensor {
    let shape = g.shape, channels = g.shape[1]
    return Tape.record("channelSums", shape: [channels], storage: ReductionKernels.channelSums(g), inputs: [g]) { gg, _, _ in
        [gg.reshaped([1, channels, 1, 1]).broadcast(to: shape)]
    }
}

/// conv(x, w) + b, one node.
func convolution(_ x: Tensor, _ w: Tensor, bias b: Tensor, _ geometry: ConvolutionGeometry, output: OutputLayout = .standard) -> Tensor {
    let (y, format) = ConvolutionKernels.forward(x, w, geometry, bias: b, output: output)
    return Tape.record("conv2dBias", shape: geometry.outputShape, storage: y, format: format,
                       inputs: [x, w, b], saved: [x, w]) { g, saved, needs in
        convolutionGradients(g, x: saved[0], w: saved[1], geometry, needs: needs)
            + [needs[2] ? channelBiasGradient(g) : nil]
    }
}

/// ∂L/∂x and ∂L/∂w of conv(x, w) as `needs` asks. When both are needed and the backward pass is
/// not itself recorded, one call computes both (`ConvolutionKernels.gradients`, which reorders
/// ∂L/∂y for oneDNN once); the numbers are the same either way. ∂L/∂x is left blocked where x was.
func convolutionGradients(_ g: Tensor, x: Tensor, w: Tensor, _ geometry: ConvolutionGeometry, needs: [Bool]) -> [Tensor?] {
    let layout = x.layout
    if needs[0] && needs[1] && !Tape.isRecording {
        let (dx, format, dw) = ConvolutionKernels.gradients(x, w, g, geometry, output: layout)
        return [Tensor(shape: geometry.inputShape, storage: dx, format: format), Tensor(shape: geometry.weightShape, storage: dw)]
    }
    return [needs[0] ? convolutionInputGradient(g, w, geometry, output: layout) : nil,
            needs[1] ? convolutionWeightGradient(x, g, geometry) : nil]
}

/// convᵀ(x, w) + b (a transposed convolution with bias), one node.
func transposedConvolution(_ dy: Tensor, _ w: Tensor, bias b: Tensor, _ geometry: ConvolutionGeometry) -> Tensor {
    Tape.record("transposedConv2dBias", shape: geometry.inputShape,
                storage: ConvolutionKernels.inputGradient(dy, w, geometry, bias: b),
                inputs: [dy, w, b], saved: [dy, w]) { g, saved, needs in
        [needs[0] ? convolution(g, saved[1], geometry, output: saved[0].layout) : nil,
         needs[1] ? convolutionWeightGradient(g, saved[0], geometry) : nil,
         needs[2] ? channelBiasGradient(g) : nil]
    }
}

func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvolutionGeometry, output: OutputLayout = .standard) -> Tensor {
    let (y, format) = ConvolutionKernels.forward(x, w, geometry, bias: nil, output: output)
    return Tape.record("conv2d", shape: geometry.outputShape, storage: y, format: format,
                       inputs: [x, w], saved: [x, w]) { g, saved, needs in
        convolutionGradients(g, x: saved[0], w: saved[1], geometry, needs: needs)
    }
}

func convolutionInputGradient(_ dy: Tensor, _ w: Tensor, _ geometry: ConvolutionGeometry,
                              output: OutputLayout = .standard) -> Tensor {
    let (dx, format) = ConvolutionKernels.inputGradient(dy, w, geometry, bias: nil, output: output)
    return Tape.record("conv2dInputGradient", shape: geometry.inputShape, storage: dx, format: format,
                       inputs: [dy, w], saved: [dy, w]) { g, saved, needs in
        [needs[0] ? convolution(g, saved[1], geometry, output: saved[0].layout) : nil,
         needs[1] ? convolutionWeightGradient(g, saved[0], geometry) : nil]
    }
}

func convolutionWeightGradient(_ x: Tensor, _ dy: Tensor, _ geometry: ConvolutionGeometry) -> Tensor {
    Tape.record("conv2dWeightGradient", shape: geometry.weightShape, storage: ConvolutionKernels.weightGradient(x, dy, geometry),
                inputs: [x, dy], saved: [x, dy]) { g, saved, needs in
        [needs[0] ? convolutionInputGradient(saved[1], g, geometry) : nil,
         needs[1] ? convolution(saved[0], g, geometry) : nil]
    }
}

// The kernels (im2col, GEMM, col2im, banded and grouped) are in Kernels/ConvolutionKernels.swift.
