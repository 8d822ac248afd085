import XCTest
import Foundation
import CDNNL
@testable import TandemCore

/// The oneDNN convolution backend against Tandem's own kernels (the reference path): the same
/// outputs, input gradients and weight gradients to float32 rounding on every geometry the models use (padding,
/// stride, 1×1, 7×7/2, sizes floor division cuts), with and without bias, transposed convolutions
/// included; and the op gradient checks (first and second order) pass with oneDNN running the
/// forward, input-gradient and weight-gradient kernels. Thread-count determinism: `ThreadCountDeterminismTests`.
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
            assertAgree(ConvolutionBackend.using(.oneDNN) { weightGradient(x, w, dy, c.stride, c.padding) },
                        weightGradient(x, w, dy, c.stride, c.padding), "weight gradient \(label)")
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

    /// A one-channel input's gradients run where they are faster: the input gradient always on
    /// Tandem's kernel, the weight gradient on Tandem's unless oneDNN runs AVX-512 kernels (never
    /// under `portable`, which caps it at AVX2); a multi-channel input's on oneDNN.
    func testAOneChannelInputsGradientsRunOnTheFasterKernels() {
        let x = random([4, 1, 12, 12], &g), w = random([6, 1, 5, 5], &g, scale: 0.3), dy = random([4, 6, 8, 8], &g)
        let geometry = ConvolutionGeometry(batch: 4, inputChannels: 1, inputHeight: 12, inputWidth: 12, outputChannels: 6,
                                           kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 0, outputHeight: 8, outputWidth: 8)
        if NumericsPolicy.inEffect() == .portable { XCTAssertFalse(OneDNNConvolution.runsAVX512) }
        XCTAssertNil(OneDNNConvolution.inputGradient(dy, w, geometry, bias: nil))
        XCTAssertEqual(OneDNNConvolution.weightGradient(x, dy, geometry) != nil, OneDNNConvolution.runsAVX512)
        XCTAssertNil(OneDNNConvolution.gradients(x, w, dy, geometry))
        var two = geometry
        two.inputChannels = 2
        let x2 = random([4, 2, 12, 12], &g), w2 = random([6, 2, 5, 5], &g, scale: 0.3)
        XCTAssertNotNil(OneDNNConvolution.inputGradient(dy, w2, two, bias: nil))
        XCTAssertNotNil(OneDNNConvolution.weightGradient(x2, dy, two))
        // Whichever kernel runs, the taped weight gradient agrees with Tandem's.
        assertAgree(ConvolutionBackend.using(.oneDNN) { weightGradient(x, w, dy, 1, 0) },
                    ConvolutionBackend.using(.tandem) { weightGradient(x, w, dy, 1, 0) }, "one-channel weight gradient")
    }

    /// Small passes run on one thread (`OneDNNConvolution.parallelWork`), large ones on all: that
    /// choice must not change a bit. Every pass (forward with and without bias, input gradient,
    /// weight gradient, both gradients from one reorder) with every pass forced onto
    /// `Parallel.threadCount` threads against every pass on one thread: 3×3, strided, 1×1, and
    /// channels that pad the blocks.
    func testEveryPassGivesTheSameBitsOnOneThreadAsOnAll() {
        let cases: [(input: [Int], out: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([8, 16, 16, 24], 16, 3, 1, 1), ([5, 12, 13, 11], 20, 3, 2, 1), ([8, 64, 8, 8], 32, 1, 1, 0), ([3, 3, 20, 20], 8, 3, 1, 1),
            ([8, 32, 4, 6], 48, 3, 1, 1), ([4, 16, 8, 8], 160, 3, 1, 1),
        ]
        func bits(_ t: TensorStorage, _ count: Int) -> [UInt32] { Array(UnsafeBufferPointer(start: t.pointer, count: count)).map(\.bitPattern) }
        let saved = OneDNNConvolution.parallelWork
        defer { OneDNNConvolution.parallelWork = saved }
        for c in cases {
            let x = random(c.input, &g), w = random([c.out, c.input[1], c.kernel, c.kernel], &g, scale: 0.3), b = random([c.out], &g)
            let geometry = squareGeometry(c.input, c.out, c.kernel, c.stride, c.padding)
            let dy = random(geometry.outputShape, &g)
            let outputs = geometry.outputShape.reduce(1, *), inputs = x.count
            func passes() -> [[UInt32]] {
                var results = [bits(OneDNNConvolution.forward(x, w, geometry, bias: nil)!.storage, outputs),
                               bits(OneDNNConvolution.forward(x, w, geometry, bias: b)!.storage, outputs),
                               bits(OneDNNConvolution.inputGradient(dy, w, geometry, bias: nil)!.storage, inputs),
                               bits(OneDNNConvolution.weightGradient(x, dy, geometry)!, w.count)]
                if let both = OneDNNConvolution.gradients(x, w, dy, geometry) {
                    results += [bits(both.input, inputs), bits(both.weight, w.count)]
                }
                return results
            }
            OneDNNConvolution.parallelWork = 0
            let parallel = passes()
            OneDNNConvolution.parallelWork = .max
            let serial = passes()
            XCTAssertEqual(parallel.count, serial.count, "\(c)")
            for (index, (p, s)) in zip(parallel, serial).enumerated() {
                XCTAssertEqual(p, s, "\(c): pass \(index) differs between \(Parallel.threadCount) threads and one")
            }
        }
    }

    /// When a convolution's node needs both gradients, ∂L/∂y is reordered once for both kernels
    /// (`OneDNNConvolution.gradients`): the same bits as the two separate calls, on shapes whose
    /// channels fill the blocks and shapes that pad them, strided, one image and batches that cut
    /// the weight gradient into uneven runs; and through the tape.
    func testBothGradientsFromOneReorderEqualTheSeparateCalls() {
        let cases: [(input: [Int], out: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([4, 64, 16, 24], 64, 3, 1, 1), ([3, 20, 9, 11], 36, 3, 1, 1), ([11, 16, 12, 10], 16, 3, 2, 1), ([1, 16, 8, 8], 24, 1, 1, 0),
            ([11, 8, 12, 10], 16, 3, 2, 1), ([8, 32, 4, 6], 48, 3, 1, 1),
        ]
        ConvolutionBackend.using(.oneDNN) {
            for c in cases {
                let x = random(c.input, &g), w = random([c.out, c.input[1], c.kernel, c.kernel], &g, scale: 0.3)
                let geometry = squareGeometry(c.input, c.out, c.kernel, c.stride, c.padding)
                let dy = random(geometry.outputShape, &g)
                // The kernels of a few-channel input may read different formats; then the node makes two calls.
                guard let both = OneDNNConvolution.gradients(x, w, dy, geometry) else {
                    XCTAssertLessThan(c.input[1], 16, "no shared reorder for \(c)")
                    continue
                }
                let input = OneDNNConvolution.inputGradient(dy, w, geometry, bias: nil)!.storage, weight = OneDNNConvolution.weightGradient(x, dy, geometry)!
                XCTAssertEqual(Array(UnsafeBufferPointer(start: both.input.pointer, count: x.count)).map(\.bitPattern),
                               Array(UnsafeBufferPointer(start: input.pointer, count: x.count)).map(\.bitPattern), "∂L/∂x \(c)")
                XCTAssertEqual(Array(UnsafeBufferPointer(start: both.weight.pointer, count: w.count)).map(\.bitPattern),
                               Array(UnsafeBufferPointer(start: weight.pointer, count: w.count)).map(\.bitPattern), "∂L/∂w \(c)")
                let (tx, tw) = (x.tracked(), w.tracked())
                let taped = grad(of: dot(conv2d(tx, weight: tw, stride: c.stride, padding: c.padding), dy), wrt: [tx, tw])
                XCTAssertEqual(taped[0].scalars.map(\.bitPattern), Array(UnsafeBufferPointer(start: input.pointer, count: x.count)).map(\.bitPattern))
                XCTAssertEqual(taped[1].scalars.map(\.bitPattern), Array(UnsafeBufferPointer(start: weight.pointer, count: w.count)).map(\.bitPattern))
            }
        }
    }

    /// ∂⟨conv(x, w), dy⟩/∂w through the tape.
    func weightGradient(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ stride: Int, _ padding: Int) -> Tensor {
        let tracked = w.tracked()
        return grad(of: dot(conv2d(x, weight: tracked, stride: stride, padding: padding), dy), wrt: [tracked])[0]
    }

    /// The weight gradient cuts the batch into runs of images (one per image up to 8, fewer for large
    /// weights) and adds the runs' sums in order: batches that leave runs of different lengths, a
    /// single image, and transposed convolutions (whose weight gradient is the same kernel with the
    /// roles swapped).
    func testTheWeightGradientAgreesOverEveryChunking() {
        XCTAssertEqual([1, 2, 8, 9, 256].map { OneDNNConvolution.weightGradientChunks($0, weights: 540) }, [1, 2, 8, 8, 8])
        // 512×512×3×3 weights: two runs; 512×256×3×3: four (three partial sums of 1.2 M floats).
        XCTAssertEqual([1, 2, 8].map { OneDNNConvolution.weightGradientChunks($0, weights: 512 * 512 * 9) }, [1, 2, 2])
        XCTAssertEqual(OneDNNConvolution.weightGradientChunks(8, weights: 512 * 256 * 9), 4)
        for batch in [1, 3, 8, 11, 20] {
            let x = random([batch, 6, 10, 9], &g), w = random([5, 6, 3, 3], &g, scale: 0.3)
            let dy = random([batch, 5, 10, 9], &g)
            assertAgree(ConvolutionBackend.using(.oneDNN) { weightGradient(x, w, dy, 1, 1) }, weightGradient(x, w, dy, 1, 1),
                        "weight gradient, batch \(batch)")
        }
        for (inputChannels, outputChannels) in [(8, 4), (32, 48)] {
            // The second: its weight gradient is the convolution 48 → 32 channels' on 5×6 planes, cut into runs of output channels.
            let x = random([5, inputChannels, 5, 6], &g), w = random([inputChannels, outputChannels, 3, 3], &g, scale: 0.5)
            let dy = random(Tape.withoutRecording { transposedConv2d(x, weight: w, stride: 2, padding: 1, outputPadding: 1) }.shape, &g)
            func transposedWeightGradient() -> Tensor {
                let tracked = w.tracked()
                return grad(of: dot(transposedConv2d(x, weight: tracked, stride: 2, padding: 1, outputPadding: 1), dy), wrt: [tracked])[0]
            }
            assertAgree(ConvolutionBackend.using(.oneDNN) { transposedWeightGradient() }, transposedWeightGradient(),
                        "transposed convolution's weight gradient, \(inputChannels) → \(outputChannels) channels")
        }
    }

    /// With few positions per weight (batch × output plane below `outputChannelRunPositions`) and
    /// O a multiple of 16 (at least 32), the weight gradient is cut into runs of output channels
    /// over the whole batch: it agrees with Tandem's kernel — runs of equal and of unequal length,
    /// one image, strided, 1×1 — and gives the same bits whether x and ∂L/∂y are held N×C×H×W or
    /// blocked (in the kernels' block size or the other one).
    func testTheWeightGradientCutIntoRunsOfOutputChannelsAgrees() {
        // SplitVGG-3 at batch 8 on 64×96: the 4×6 to 16×24 planes are cut by output channels, 32×48 and up by images.
        XCTAssertTrue(OneDNNConvolution.cutsOutputChannels(squareGeometry([8, 256, 4, 6], 256, 3, 1, 1)))
        XCTAssertTrue(OneDNNConvolution.cutsOutputChannels(squareGeometry([8, 128, 16, 24], 128, 3, 1, 1)))
        XCTAssertFalse(OneDNNConvolution.cutsOutputChannels(squareGeometry([8, 64, 32, 48], 64, 3, 1, 1)))
        XCTAssertFalse(OneDNNConvolution.cutsOutputChannels(squareGeometry([8, 64, 4, 6], 24, 3, 1, 1)), "O not a multiple of 16")
        XCTAssertFalse(OneDNNConvolution.cutsOutputChannels(squareGeometry([8, 64, 4, 6], 16, 3, 1, 1)), "one run of 16 only")
        XCTAssertEqual(OneDNNConvolution.weightGradientRuns(squareGeometry([8, 256, 4, 6], 256, 3, 1, 1))?.count, 8)
        // 160 channels: ten units of 16 in eight runs of one or two units.
        let uneven = OneDNNConvolution.weightGradientRuns(squareGeometry([2, 16, 6, 6], 160, 3, 1, 1))
        XCTAssertEqual(uneven?.cut, .outputChannels)
        XCTAssertEqual(uneven?.count, 8)
        XCTAssertEqual(uneven?.entries.keys.sorted(), [16, 32])
        XCTAssertEqual((0..<8).flatMap { Array(uneven!.range($0)) }, Array(0..<160))

        let cases: [(input: [Int], out: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([3, 16, 6, 7], 48, 3, 1, 1), ([2, 24, 6, 6], 160, 3, 1, 1), ([1, 32, 5, 5], 32, 3, 1, 1), ([4, 20, 9, 8], 64, 3, 2, 1),
            ([2, 64, 4, 6], 96, 1, 1, 0),
        ]
        for c in cases {
            let shape = squareGeometry(c.input, c.out, c.kernel, c.stride, c.padding)
            XCTAssertTrue(OneDNNConvolution.cutsOutputChannels(shape), "\(c)")
            let x = random(c.input, &g), w = random([c.out, c.input[1], c.kernel, c.kernel], &g, scale: 0.3)
            let dy = random(shape.outputShape, &g)
            assertAgree(ConvolutionBackend.using(.oneDNN) { weightGradient(x, w, dy, c.stride, c.padding) },
                        weightGradient(x, w, dy, c.stride, c.padding), "weight gradient \(c)")
            func bits(_ x: Tensor, _ dy: Tensor) -> [UInt32] {
                Tensor(shape: w.shape, storage: OneDNNConvolution.weightGradient(x, dy, shape)!).scalars.map(\.bitPattern)
            }
            let plain = bits(x, dy)
            for block in [8, 16] {
                for (heldX, heldDy) in [(heldBlocked(x, block), dy), (x, heldBlocked(dy, block)), (heldBlocked(x, block), heldBlocked(dy, block))] {
                    XCTAssertEqual(bits(heldX, heldDy), plain,
                                   "\(c): x \(heldX.format), dy \(heldDy.format)")
                }
            }
        }
    }


    /// Shapes oneDNN's JIT kernels decline (on AVX2: a 9×9 stride-2 forward pass and input
    /// gradient; the input gradient of a 7×7 stride-2 stem on 3 channels) would go to its GEMM or
    /// reference convolutions; they run on Tandem's kernels, bit for bit. This process may have
    /// AVX-512 kernels, which take those shapes, so the check runs again in a child of this test
    /// bundle with oneDNN capped at AVX2 (portable numerics).
    func testShapesWithoutAJITKernelRunOnTandemsKernels() throws {
        let declined = declinedShapes()
        if ProcessInfo.processInfo.environment["TANDEM_TEST_AVX2_CHILD"] == nil {
            try runThisTestCappedAtAVX2()
        } else {
            XCTAssertEqual(dnnl_get_effective_cpu_isa(), dnnl_cpu_isa_avx2, "the child runs oneDNN's AVX2 kernels")
            XCTAssertEqual(declined.forward, 1, "9×9 stride 2 has no AVX2 JIT forward kernel")
            XCTAssertEqual(declined.inputGradient, 2, "9×9 stride 2 and the 7×7 stem have no AVX2 JIT input-gradient kernel")
        }
    }

    /// Runs the shapes through both backends; where oneDNN has no JIT kernel the results must be
    /// Tandem's bits, elsewhere the same to float32 rounding. Returns how many shapes were declined.
    func declinedShapes() -> (forward: Int, inputGradient: Int) {
        var declined = (forward: 0, inputGradient: 0)
        for (channels, kernel, stride, padding) in [(3, 9, 2, 4), (3, 7, 2, 3)] {
            let x = random([2, channels, 24, 24], &g), w = random([8, channels, kernel, kernel], &g, scale: 0.3)
            let size = (24 + 2 * padding - kernel) / stride + 1
            let geometry = ConvolutionGeometry(batch: 2, inputChannels: channels, inputHeight: 24, inputWidth: 24, outputChannels: 8,
                                               kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding,
                                               outputHeight: size, outputWidth: size)
            let dy = random(geometry.outputShape, &g)
            let forwardDeclined = OneDNNConvolution.forward(x, w, geometry, bias: nil) == nil
            let inputDeclined = OneDNNConvolution.inputGradient(dy, w, geometry, bias: nil) == nil
            declined.forward += forwardDeclined ? 1 : 0
            declined.inputGradient += inputDeclined ? 1 : 0
            func pass(_ backend: ConvolutionBackend) -> (Tensor, Tensor, Tensor) {
                ConvolutionBackend.using(backend) {
                    let xt = x.tracked(), wt = w.tracked()
                    let y = conv2d(xt, weight: wt, stride: stride, padding: padding)
                    let gradients = grad(of: dot(y, dy), wrt: [xt, wt])
                    return (y.detached, gradients[0], gradients[1])
                }
            }
            let (reference, oneDNN) = (pass(.tandem), pass(.oneDNN))
            let label = "\(kernel)×\(kernel) stride \(stride) on \(channels) channels"
            if forwardDeclined { XCTAssertEqual(oneDNN.0.scalars, reference.0.scalars, label) } else { assertAgree(oneDNN.0, reference.0, label) }
            if inputDeclined { XCTAssertEqual(oneDNN.1.scalars, reference.1.scalars, label) } else { assertAgree(oneDNN.1, reference.1, label) }
            assertAgree(oneDNN.2, reference.2, "\(label), weight gradient")
        }
        return declined
    }

    /// Runs `testShapesWithoutAJITKernelRunOnTandemsKernels` in a child of this test bundle with
    /// portable numerics (OpenBLAS's Haswell kernels, oneDNN capped at AVX2).
    func runThisTestCappedAtAVX2() throws {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bundle)
        process.arguments = ["CoreTests.OneDNNConvolutionTests/testShapesWithoutAJITKernelRunOnTandemsKernels"]
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_TEST_AVX2_CHILD"] = "1"
        environment["TANDEM_NUMERICS"] = "portable"
        environment["OPENBLAS_CORETYPE"] = "Haswell"
        process.environment = environment
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "the AVX2 child failed:\n\(text)")
        XCTAssertTrue(text.contains("Executed 1 test, with 0 failures"), "the AVX2 child ran no test:\n\(text)")
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
        XCTAssertEqual(try ConvolutionBackend.requested(environment: [:]), .oneDNN)
        XCTAssertEqual(try ConvolutionBackend.requested(environment: ["TANDEM_CONVOLUTION": "tandem"]), .tandem)
        XCTAssertEqual(try ConvolutionBackend.requested(environment: ["TANDEM_CONVOLUTION": "oneDNN"]), .oneDNN)
        XCTAssertThrowsError(try ConvolutionBackend.requested(environment: ["TANDEM_CONVOLUTION": "cudnn"])) { error in
            XCTAssertTrue("\(error)".contains("TANDEM_CONVOLUTION=cudnn"), "\(error)")
        }
        XCTAssertTrue(ConvolutionBackend.using(.oneDNN) { NumericsPolicy.kernelFamily }.contains("oneDNN 2."))
        XCTAssertFalse(ConvolutionBackend.using(.tandem) { NumericsPolicy.kernelFamily }.contains("oneDNN"))
    }
}

/// The geometry of a convolution of an `input`-shaped tensor with `out` square `kernel`×`kernel` filters.
private func squareGeometry(_ input: [Int], _ out: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> ConvolutionGeometry {
    let outH = (input[2] + 2 * padding - kernel) / stride + 1, outW = (input[3] + 2 * padding - kernel) / stride + 1
    return ConvolutionGeometry(batch: input[0], inputChannels: input[1], inputHeight: input[2], inputWidth: input[3],
                               outputChannels: out, kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding,
                               outputHeight: outH, outputWidth: outW)
}
