import XCTest
@testable import TandemCore

/// The fused ops (bias inside convolutions and linear layers, batch norm + ReLU, the one-pass
/// ReLU gradient, the flipped-weight input gradient of stride-1 convolutions): first- and
/// second-order finite-difference checks, and equality with the composed ops they replace.
final class FusedOpTests: XCTestCase {
    let check = GradientCheck()
    var g = SeededGenerator(seed: 31)

    /// Values and gradients of `fused` and `composed` (both scalar-valued through a cotangent) agree.
    func assertSameValuesAndGradients(_ name: String, _ inputs: [Tensor], tolerance: Float = 1e-4,
                                      fused: @escaping ([Tensor]) -> Tensor, composed: @escaping ([Tensor]) -> Tensor,
                                      file: StaticString = #filePath, line: UInt = #line) {
        let probe = Tape.withoutRecording { composed(inputs) }
        var generator = SeededGenerator(seed: 5)
        let cotangent = Tensor.randomNormal(probe.shape, generator: &generator)
        let (a, gradientsA) = valueAndGrad(at: inputs) { dot(fused($0), cotangent) }
        let (b, gradientsB) = valueAndGrad(at: inputs) { dot(composed($0), cotangent) }
        XCTAssertEqual(a.scalar, b.scalar, accuracy: tolerance * max(1, abs(b.scalar)), "\(name) value", file: file, line: line)
        for (index, (u, v)) in zip(gradientsA, gradientsB).enumerated() {
            XCTAssertEqual(u.shape, v.shape, file: file, line: line)
            for (p, q) in zip(u.scalars, v.scalars) {
                XCTAssertEqual(p, q, accuracy: tolerance * max(1, abs(q)), "\(name) ∂/∂input\(index)", file: file, line: line)
            }
        }
    }

    func testReluGradient() {
        check.run("reluGradient", [random([2, 5], &g), awayFromZero([2, 5], generator: &g)]) {
            reluGradient($0[0] * $0[0], input: $0[1])
        }
        let x = awayFromZero([3, 4], generator: &g)
        assertSameValuesAndGradients("relu", [x], fused: { relu($0[0]) * $0[0] },
                                     composed: { $0[0] * $0[0] * Tensor(shape: [3, 4], scalars: x.scalars.map { $0 > 0 ? 1 : 0 }) })
    }

    func testConvolutionWithBias() {
        let cases: [(inputShape: [Int], outChannels: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([2, 2, 5, 5], 3, 3, 1, 1), ([1, 3, 6, 5], 2, 3, 2, 0), ([2, 1, 5, 4], 2, 5, 1, 2),
        ]
        for c in cases {
            let x = random(c.inputShape, &g), w = random([c.outChannels, c.inputShape[1], c.kernel, c.kernel], &g, scale: 0.5)
            let b = random([c.outChannels], &g)
            check.run("conv2d bias \(c)", [x, w, b]) {
                let y = conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding)
                return y * y
            }
            assertSameValuesAndGradients("conv2d bias \(c)", [x, w, b],
                                         fused: { conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding) },
                                         composed: { conv2d($0[0], weight: $0[1], stride: c.stride, padding: c.padding)
                                             + $0[2].reshaped([1, c.outChannels, 1, 1]) })
        }
        for (stride, padding, outputPadding) in [(2, 1, 1), (1, 1, 0)] {
            let x = random([2, 3, 3, 4], &g), w = random([3, 2, 3, 3], &g, scale: 0.5), b = random([2], &g)
            check.run("transposedConv2d bias s\(stride)", [x, w, b]) {
                let y = transposedConv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding, outputPadding: outputPadding)
                return y * y
            }
            assertSameValuesAndGradients("transposedConv2d bias s\(stride)", [x, w, b],
                                         fused: { transposedConv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding,
                                                                   outputPadding: outputPadding) },
                                         composed: { transposedConv2d($0[0], weight: $0[1], stride: stride, padding: padding,
                                                                      outputPadding: outputPadding) + $0[2].reshaped([1, 2, 1, 1]) })
        }
    }

    /// Stride-1 "same" convolutions take their input gradient as a convolution with the flipped
    /// weight; it must equal GEMM + col2im (the path every other geometry takes), which
    /// `transposedConv2d` with stride 2 and the adjoint identity pin down.
    func testFlippedInputGradientEqualsTheAdjoint() {
        for (channels, kernel, side) in [(3, 3, 7), (2, 5, 6), (4, 1, 3), (16, 3, 48)] {
            let geometry = ConvolutionGeometry(batch: 2, inputChannels: channels, inputHeight: side, inputWidth: side + 1,
                                               outputChannels: channels + 1, kernelHeight: kernel, kernelWidth: kernel,
                                               stride: 1, padding: (kernel - 1) / 2, outputHeight: side, outputWidth: side + 1)
            XCTAssertTrue(ConvolutionKernels.usesFlippedInputGradient(geometry))
            let x = random(geometry.inputShape, &g), w = random(geometry.weightShape, &g, scale: 0.3)
            let dy = random(geometry.outputShape, &g)
            // ⟨conv(x, w), dy⟩ = ⟨x, inputGradient(dy, w)⟩.
            let left = Tape.withoutRecording { dot(conv2d(x, weight: w, padding: geometry.padding), dy).scalar }
            let dx = Tensor(shape: geometry.inputShape, storage: ConvolutionKernels.inputGradient(dy, w, geometry))
            let right = dot(x, dx).scalar
            XCTAssertEqual(left, right, accuracy: 1e-4 * max(1, abs(left)), "\(channels) ch k\(kernel)")
        }
    }

    func testAffine() {
        let x = random([4, 3], &g), w = random([2, 3], &g), b = random([2], &g)
        check.run("affine", [x, w, b]) { affine($0[0], weight: $0[1], bias: $0[2]) * affine($0[0], weight: $0[1], bias: $0[2]) }
        assertSameValuesAndGradients("affine", [x, w, b], fused: { affine($0[0], weight: $0[1], bias: $0[2]) },
                                     composed: { matmul($0[0], $0[1], transposeB: true) + $0[2] })
        // Large enough to be split over two GEMM blocks.
        let big = random([300, 64], &g), weight = random([40, 64], &g, scale: 0.2), bias = random([40], &g)
        assertSameValuesAndGradients("affine split", [big, weight, bias], fused: { affine($0[0], weight: $0[1], bias: $0[2]) },
                                     composed: { matmul($0[0], $0[1], transposeB: true) + $0[2] })
    }

    func testBatchNormReLU() {
        for shape in [[4, 3, 2, 2], [6, 2]] {
            let x = random(shape, &g), scale = positive([shape[1]], &g), shift = random([shape[1]], &g, scale: 0.3)
            check.run("batchNormReLU \(shape)", [x, scale, shift]) { batchNormReLU($0[0], scale: $0[1], shift: $0[2]).output * $0[0] }
            assertSameValuesAndGradients("batchNormReLU \(shape)", [x, scale, shift],
                                         fused: { batchNormReLU($0[0], scale: $0[1], shift: $0[2]).output },
                                         composed: { relu(batchNorm($0[0], scale: $0[1], shift: $0[2]).output) })
            let fused = batchNormReLU(x, scale: scale, shift: shift), plain = batchNorm(x, scale: scale, shift: shift)
            XCTAssertEqual(fused.mean.scalars, plain.mean.scalars)
            XCTAssertEqual(fused.variance.scalars, plain.variance.scalars)
            XCTAssertEqual(fused.output.scalars, relu(plain.output).scalars)
        }
    }

    /// The training kernels add in the order their header documents (eight phase sums per image's
    /// plane, tail in s_0, combined as a tree; images in Double), checked bit for bit against that
    /// order written out plainly — for planes with and without a tail, with and without the ReLU mask.
    func testBatchNormKernelsAddInTheDocumentedOrder() {
        func planeSum(_ values: [Float]) -> Float {
            var s = [Float](repeating: 0, count: 8)
            let whole = values.count / 8 * 8
            for i in 0..<whole { s[i % 8] += values[i] }
            for i in whole..<values.count { s[0] += values[i] }
            return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
        }
        for shape in [[3, 2, 1, 1], [2, 3, 1, 7], [4, 2, 5, 5], [2, 2, 8, 12], [5, 3]] {
            let (batch, channels) = (shape[0], shape[1]), plane = shape.dropFirst(2).reduce(1, *)
            let x = random(shape, &g), scale = positive([channels], &g), shift = random([channels], &g, scale: 0.3)
            let gradient = random(shape, &g)
            for rectified in [false, true] {
                let (output, mean, inverse, variance) = BatchNormKernels.forward(x, scale: scale, shift: shift, epsilon: 1e-5,
                                                                                 rectified: rectified)
                let y = Tensor(shape: shape, storage: output)
                let gradients = BatchNormKernels.backward(gradient, x: x, scale: scale, mean: mean, inverseDeviation: inverse,
                                                          rectifiedShift: rectified ? shift : nil, needs: [true, true, true])
                let count = batch * plane
                for c in 0..<channels {
                    let planes = (0..<batch).map { n in (0..<plane).map { x.scalars[(n * channels + c) * plane + $0] } }
                    let mu = Float(planes.reduce(0.0) { $0 + Double(planeSum($1)) } / Double(count))
                    let sigma2 = Float(planes.reduce(0.0) { $0 + Double(planeSum($1.map { ($0 - mu) * ($0 - mu) })) } / Double(count))
                    let invstd = 1 / (sigma2 + 1e-5).squareRoot()
                    XCTAssertEqual(mean.scalars[c].bitPattern, mu.bitPattern, "mean \(shape) c\(c)")
                    XCTAssertEqual(variance.scalars[c].bitPattern, sigma2.bitPattern, "variance \(shape) c\(c)")
                    let a = invstd * scale.scalars[c], b = shift.scalars[c] - mu * a
                    let masked = (0..<batch).map { n in (0..<plane).map { i -> Float in
                        let index = (n * channels + c) * plane + i
                        return !rectified || y.scalars[index] > 0 ? gradient.scalars[index] : 0
                    } }
                    let shiftGradient = Float(masked.reduce(0.0) { $0 + Double(planeSum($1)) })
                    let scaleGradient = Float((0..<batch).reduce(0.0) { total, n in
                        total + Double(planeSum(zip(masked[n], planes[n]).map { $0 * ($1 - mu) }))
                    }) * invstd
                    XCTAssertEqual(gradients[2]!.scalars[c].bitPattern, shiftGradient.bitPattern, "dshift \(shape) c\(c)")
                    XCTAssertEqual(gradients[1]!.scalars[c].bitPattern, scaleGradient.bitPattern, "dscale \(shape) c\(c)")
                    let k = scale.scalars[c] * invstd / Float(count)
                    for n in 0..<batch {
                        for i in 0..<plane {
                            let index = (n * channels + c) * plane + i
                            let v = x.scalars[index] * a + b
                            XCTAssertEqual(y.scalars[index].bitPattern, (rectified ? max(0, v) : v).bitPattern, "output \(shape)")
                            let xhat = (x.scalars[index] - mu) * invstd
                            let dx = k * (Float(count) * masked[n][i] - shiftGradient - xhat * scaleGradient)
                            XCTAssertEqual(gradients[0]!.scalars[index].bitPattern, dx.bitPattern, "dx \(shape)")
                        }
                    }
                }
            }
        }
    }

    /// Evaluation-mode batch norm: with recording off it is one fused pass, and its values equal the
    /// differentiable broadcast form (recording on) bit for bit, with and without the ReLU (rows are
    /// independent, so chunking cannot change them). The differentiable form's finite-difference
    /// checks are OpGradientTests' "batchNorm eval" and relu's.
    func testEvaluationBatchNormFastPathEqualsTheDifferentiableForm() {
        for shape in [[3, 4, 5, 7], [6, 2], [2, 3, 64, 65]] {
            var x = random(shape, &g)
            x = Tensor(shape: shape, scalars: x.scalars.enumerated().map { $0.offset % 11 == 0 ? 0 : $0.element })
            let channels = shape[1]
            let scale = random([channels], &g), shift = random([channels], &g, scale: 0.3)
            let mean = random([channels], &g, scale: 0.2), variance = positive([channels], &g)
            for rectified in [false, true] {
                let differentiable = batchNorm(x, scale: scale, shift: shift, runningMean: mean, runningVariance: variance, rectified: rectified)
                XCTAssertEqual(differentiable.scalars.map(\.bitPattern),
                               (rectified ? relu(batchNorm(x, scale: scale, shift: shift, runningMean: mean, runningVariance: variance))
                                          : batchNorm(x, scale: scale, shift: shift, runningMean: mean, runningVariance: variance)).scalars.map(\.bitPattern))
                let fast = Tape.withoutRecording {
                    batchNorm(x, scale: scale, shift: shift, runningMean: mean, runningVariance: variance, rectified: rectified)
                }
                XCTAssertEqual(fast.scalars.map(\.bitPattern), differentiable.scalars.map(\.bitPattern), "\(shape), rectified \(rectified)")
            }
        }
    }
}
