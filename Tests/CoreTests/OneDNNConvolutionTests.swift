import XCTest
@testable import TandemCore

/// The oneDNN convolution backend against Tandem's own kernels (the reference path): the same
/// outputs and input gradients to float32 rounding on every geometry the models use (padding,
/// stride, 1×1, 7×7/2, sizes floor division cuts), with and without bias, transposed convolutions
/// included; and the op gradient checks (first and second order) pass with oneDNN running the
/// forward and input-gradient kernels. Thread-count determinism: `ThreadCountDeterminismTests`.
final class OneDNNConvolutionTests: XCTestCase {
    var g = SeededGenerator(seed: 17)
    let check = GradientCheck()

    /// ‖a − b‖ ≤ 10⁻⁵ ‖b‖.
    func assertAgree(_ a: Tensor, _ b: Tensor, _ label: String, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, label, line: line)
        let difference = (a - b).norm().scalar, size = b.norm().scalar
        XCTAssertLessThanOrEqual(difference, 1e-5 * size, "\(label): ‖Δ‖ = \(difference), ‖reference‖ = \(size)", line: line)
    }

    func testOneDNNAgreesWithTandemsKernels() {
        let cases: [(input: [Int], out: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([2, 8, 12, 16], 16, 3, 1, 1), ([3, 5, 11, 9], 7, 3, 2, 1), ([2, 16, 8, 8], 4, 1, 1, 0), ([2, 3, 32, 32], 8, 7, 2, 3),
            ([1, 4, 9, 10], 6, 5, 1, 0), ([2, 6, 7, 7], 6, 3, 2, 0), ([4, 64, 16, 24], 64, 3, 1, 1),
        ]
        for c in cases {
            let x = random(c.input, &g), w = random([c.out, c.input[1], c.kernel, c.kernel], &g, scale: 0.3), b = random([c.out], &g)
            let label = "\(c)"
            for bias in [nil, b] {
                let reference = Tape.withoutRecording { conv2d(x, weight: w, bias: bias, stride: c.stride, padding: c.padding) }
                let oneDNN = ConvolutionBackend.using(.oneDNN) { Tape.withoutRecording { conv2d(x, weight: w, bias: bias, stride: c.stride, padding: c.padding) } }
                assertAgree(oneDNN, reference, "conv2d \(label) bias \(bias != nil)")
            }
            // The input gradient, through the tape.
            let dy = random(Tape.withoutRecording { conv2d(x, weight: w, stride: c.stride, padding: c.padding) }.shape, &g)
            func inputGradient() -> Tensor {
                let tracked = x.tracked()
                return grad(of: dot(conv2d(tracked, weight: w, stride: c.stride, padding: c.padding), dy), wrt: [tracked])[0]
            }
            assertAgree(ConvolutionBackend.using(.oneDNN) { inputGradient() }, inputGradient(), "input gradient \(label)")
        }
        for (stride, padding, outputPadding) in [(2, 1, 1), (1, 0, 0), (2, 0, 1), (3, 1, 2)] {
            let x = random([2, 8, 5, 6], &g), w = random([8, 4, 3, 3], &g, scale: 0.5), b = random([4], &g)
            let reference = Tape.withoutRecording { transposedConv2d(x, weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding) }
            let oneDNN = ConvolutionBackend.using(.oneDNN) {
                Tape.withoutRecording { transposedConv2d(x, weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding) }
            }
            assertAgree(oneDNN, reference, "transposedConv2d s\(stride) p\(padding) op\(outputPadding)")
        }
    }

    func testGradientChecksPassOnTheOneDNNPath() {
        ConvolutionBackend.using(.oneDNN) {
            let cases: [(inputShape: [Int], outChannels: Int, kernel: Int, stride: Int, padding: Int)] = [
                ([2, 2, 5, 5], 3, 3, 1, 1), ([1, 3, 6, 5], 2, 3, 2, 0), ([2, 1, 5, 4], 2, 2, 2, 1), ([1, 2, 4, 4], 2, 1, 1, 0),
            ]
            for c in cases {
                let x = random(c.inputShape, &g), w = random([c.outChannels, c.inputShape[1], c.kernel, c.kernel], &g, scale: 0.5)
                let b = random([c.outChannels], &g)
                check.run("oneDNN conv2d \(c)", [x, w, b]) {
                    let y = conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding)
                    return y * y
                }
            }
            for (stride, padding, outputPadding) in [(2, 1, 1), (1, 0, 0), (3, 1, 2)] {
                let x = random([2, 3, 3, 4], &g), w = random([3, 2, 3, 3], &g, scale: 0.5)
                check.run("oneDNN transposedConv2d s\(stride) p\(padding) op\(outputPadding)", [x, w]) {
                    let y = transposedConv2d($0[0], weight: $0[1], stride: stride, padding: padding, outputPadding: outputPadding)
                    return y * y
                }
            }
        }
    }

    func testTheBackendIsReadFromTheEnvironment() throws {
        XCTAssertEqual(try ConvolutionBackend.requested(environment: [:]), .tandem)
        XCTAssertEqual(try ConvolutionBackend.requested(environment: ["TANDEM_CONVOLUTION": "oneDNN"]), .oneDNN)
        XCTAssertThrowsError(try ConvolutionBackend.requested(environment: ["TANDEM_CONVOLUTION": "cudnn"])) { error in
            XCTAssertTrue("\(error)".contains("TANDEM_CONVOLUTION=cudnn"), "\(error)")
        }
        XCTAssertTrue(ConvolutionBackend.using(.oneDNN) { NumericsPolicy.kernelFamily }.contains("oneDNN 2."))
    }
}
