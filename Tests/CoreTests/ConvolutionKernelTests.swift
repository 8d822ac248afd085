import XCTest
@testable import TandemCore

/// The banded (here with the smallest bands, so there are several per image) and grouped layouts of the convolution kernels compute the same products: every
/// kernel (forward with and without bias, input gradient by GEMM + col2im, weight gradient) agrees
/// between the two on geometries with several bands, strides 1 and 2, odd sizes, and one input
/// channel (where the weight gradient is split by output channel).
final class ConvolutionKernelTests: XCTestCase {
    var g = SeededGenerator(seed: 17)

    func geometry(batch: Int, channels: Int, outputs: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int)
        -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputChannels: channels, inputHeight: height, inputWidth: width,
                            outputChannels: outputs, kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding,
                            outputHeight: (height + 2 * padding - kernel) / stride + 1,
                            outputWidth: (width + 2 * padding - kernel) / stride + 1)
    }

    func assertClose(_ a: TensorStorage, _ b: TensorStorage, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a.pointer[i] - b.pointer[i]) / max(1, abs(b.pointer[i]))) }
        // Only the accumulation order differs (the weight gradient sums thousands of products in
        // bands instead of one GEMM): Float32 rounding, far below what a layout mistake gives.
        XCTAssertLessThan(worst, 1e-4, what, file: file, line: line)
    }

    func testBandedAndGroupedLayoutsAgree() {
        let cases = [
            geometry(batch: 2, channels: 5, outputs: 7, height: 37, width: 41, kernel: 3, stride: 1, padding: 1),
            geometry(batch: 3, channels: 4, outputs: 6, height: 65, width: 30, kernel: 3, stride: 2, padding: 1),
            geometry(batch: 2, channels: 1, outputs: 10, height: 36, width: 36, kernel: 5, stride: 1, padding: 0),
            geometry(batch: 1, channels: 3, outputs: 2, height: 20, width: 70, kernel: 2, stride: 2, padding: 0),
        ]
        for geometry in cases {
            XCTAssertGreaterThan(ConvolutionKernels.bands(geometry, budget: 0).count, 1, "\(geometry) should have several bands")
            let x = random(geometry.inputShape, &g), w = random(geometry.weightShape, &g, scale: 0.3)
            let dy = random(geometry.outputShape, &g), bias = random([geometry.outputChannels], &g)
            let name = "\(geometry.inputShape) k\(geometry.kernelHeight) s\(geometry.stride)"
            for withBias in [false, true] {
                let banded = TensorStorage(count: Shape.count(geometry.outputShape))
                let grouped = TensorStorage(count: Shape.count(geometry.outputShape))
                ConvolutionKernels.forwardBanded(x.pointer, w.pointer, geometry, bias: withBias ? bias.pointer : nil, into: banded.pointer,
                                                  budget: 0)
                ConvolutionKernels.forwardGrouped(x.pointer, w.pointer, geometry, bias: withBias ? bias.pointer : nil, into: grouped.pointer)
                assertClose(banded, grouped, "forward \(name) bias \(withBias)")
            }
            let dxBanded = TensorStorage(count: Shape.count(geometry.inputShape))
            let dxGrouped = TensorStorage(count: Shape.count(geometry.inputShape))
            ConvolutionKernels.inputGradientBanded(dy.pointer, w.pointer, geometry, into: dxBanded.pointer, budget: 0)
            ConvolutionKernels.inputGradientGrouped(dy.pointer, w.pointer, geometry, into: dxGrouped.pointer)
            assertClose(dxBanded, dxGrouped, "input gradient \(name)")
            let dwBanded = TensorStorage(count: Shape.count(geometry.weightShape))
            let dwGrouped = TensorStorage(count: Shape.count(geometry.weightShape))
            ConvolutionKernels.weightGradientBanded(x.pointer, dy.pointer, geometry, into: dwBanded.pointer, budget: 0)
            ConvolutionKernels.weightGradientGrouped(x.pointer, dy.pointer, geometry, into: dwGrouped.pointer)
            assertClose(dwBanded, dwGrouped, "weight gradient \(name)")
        }
    }
}
