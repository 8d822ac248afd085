// A convolution and the max pooling after it, as one node.

/// maxPool2d(conv2d(x, w, b), size: poolSize) (windows poolSize×poolSize, stride poolSize) as
/// one node, for a convolution followed by pooling (MultiLeNet's):
///
///     p = maxPool(conv(x, w) + b)
///     ∂L/∂y = ∂L/∂p at each window's maximum, 0 elsewhere
///     ∂L/∂x, ∂L/∂w = the convolution's gradients of ∂L/∂y;   ∂L/∂b = Σ_{n,h,w} ∂L/∂p
///
/// On oneDNN the convolution's output stays in its kernel's blocked format through the pooling
/// and back (`OneDNNConvolution.forwardMaxPooled`), so only the pooled tensors are reordered.
/// Otherwise (Tandem's kernels, windows that do not tile the output, shapes without a JIT
/// kernel) the convolution and Tandem's pooling run one after the other. On every path p, ∂L/∂x
/// and ∂L/∂w are bit for bit those of `maxPool2d(conv2d(x, w, b), size: poolSize)`; ∂L/∂b sums
/// ∂L/∂p, the same terms as summing ∂L/∂y without its zeros, in another order.
public func conv2dMaxPool(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                          poolSize: Int) -> Tensor {
    let geometry = convolutionGeometry("conv2dMaxPool", input, weight: weight, bias: bias, stride: stride, padding: padding)
    precondition(poolSize >= 1 && geometry.outputHeight >= poolSize && geometry.outputWidth >= poolSize,
                 "conv2dMaxPool: pool size \(poolSize) must be between 1 and the convolution's output, \(geometry.outputShape)")
    let pooledShape = [geometry.batch, geometry.outputChannels, geometry.outputHeight / poolSize, geometry.outputWidth / poolSize]
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    if ConvolutionBackend.current == .oneDNN,
       let fused = OneDNNConvolution.forwardMaxPooled(input, weight, geometry, bias: bias, size: poolSize) {
        return Tape.record("conv2dMaxPool", shape: pooledShape, storage: fused.output, inputs: inputs, saved: inputs) { g, saved, needs in
            guard Tape.isRecording else {
                let (dx, dw) = OneDNNConvolution.maxPooledGradients(saved[0], saved[1], g, geometry, size: poolSize, record: fused.record,
                                                                    input: needs[0], weight: needs[1])
                return [dx.map { Tensor(shape: geometry.inputShape, storage: $0) }, dw.map { Tensor(shape: geometry.weightShape, storage: $0) }]
                    + (needs.count > 2 ? [needs[2] ? channelBiasGradient(g) : nil] : [])
            }
            // A recorded backward pass (second order) runs through ops, with the maxima's
            // positions found again on the recomputed convolution (the same kernel, the same values).
            let convolved = ConvolutionKernels.forward(saved[0], saved[1], geometry, bias: saved.count > 2 ? saved[2] : nil)
            let indices = Tape.withoutRecording { maxPool2dWithIndices(Tensor(shape: geometry.outputShape, storage: convolved), size: poolSize).indices }
            return pooledConvolutionGradients(g, indices: indices, x: saved[0], w: saved[1], geometry, needs: needs)
        }
    }
    let convolved = Tensor(shape: geometry.outputShape, storage: ConvolutionKernels.forward(input, weight, geometry, bias: bias))
    let pooled = Tape.withoutRecording { maxPool2dWithIndices(convolved, size: poolSize) }
    return Tape.record("conv2dMaxPool", shape: pooledShape, storage: pooled.output.storage, inputs: inputs,
                       saved: [input, weight, pooled.indices]) { g, saved, needs in
        pooledConvolutionGradients(g, indices: saved[2], x: saved[0], w: saved[1], geometry, needs: needs)
    }
}

/// ∂L/∂x, ∂L/∂w (and ∂L/∂b when there is a bias) of `conv2dMaxPool` from ∂L/∂p and the
/// positions of the maxima, through ops (so that the backward pass can itself be recorded).
private func pooledConvolutionGradients(_ g: Tensor, indices: Tensor, x: Tensor, w: Tensor, _ geometry: ConvolutionGeometry,
                                        needs: [Bool]) -> [Tensor?] {
    var gradients: [Tensor?] = [nil, nil]
    if needs[0] || needs[1] {
        let dy = scatterAddPlanes(g, indices: indices, planeShape: geometry.outputShape)
        gradients = convolutionGradients(dy, x: x, w: w, geometry, needs: [needs[0], needs[1]])
    }
    if needs.count > 2 { gradients.append(needs[2] ? channelBiasGradient(g) : nil) }
    return gradients
}
