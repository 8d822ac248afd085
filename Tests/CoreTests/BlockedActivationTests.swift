import XCTest
@testable import TandemCore

/// Activations held in the convolution kernels' channel-blocked layout (`ActivationFormat`):
/// convolutions and batch norm read and write it with the numbers of the N×C×H×W path, bit for
/// bit, and every other op reads a blocked tensor as its values.
final class BlockedActivationTests: XCTestCase {
    static let defaultSmallest = Tape.smallestRecomputedOutput

    /// Blocked layouts come from oneDNN's kernels: every test runs on that backend, whatever
    /// `TANDEM_CONVOLUTION` says.
    override func invokeTest() { ConvolutionBackend.using(.oneDNN) { super.invokeTest() } }

    override func tearDown() {
        OutputLayout.blockedOutputsAllowed = true
        Tape.smallestRecomputedOutput = BlockedActivationTests.defaultSmallest
        super.tearDown()
    }

    private func bits(_ t: Tensor?, file: StaticString = #filePath, line: UInt = #line) -> [UInt32] {
        guard let t else { XCTFail("no tensor", file: file, line: line); return [] }
        return t.scalars.map(\.bitPattern)
    }

    func testABlockedTensorReadsAsItsValuesWithZeroPadding() {
        var generator = SeededGenerator(seed: 1)
        let x = random([2, 10, 3, 5], &generator)
        for block in [8, 16] {
            let b = heldBlocked(x, block)
            XCTAssertEqual(b.heldStorage.count, 2 * 16 * 15)
            XCTAssertEqual(bits(b), bits(x))
            // Channels 10…15 of every pixel are padding.
            let held = Array(UnsafeBufferPointer(start: b.heldPointer, count: b.heldStorage.count))
            let blocks = 16 / block
            for image in 0..<2 {
                for position in 0..<15 {
                    for channel in 10..<16 {
                        let offset = ((image * blocks + channel / block) * 15 + position) * block + channel % block
                        XCTAssertEqual(held[offset], 0)
                    }
                }
            }
            XCTAssertEqual(bits(b.detached), bits(x))
            XCTAssertEqual(bits(b + Tensor(0)), bits(x + Tensor(0)))
        }
    }

    /// batchNorm and batchNormReLU on a blocked x: output, statistics and every gradient are the
    /// bits of the N×C×H×W op, whether the output stays blocked or not and whether the tape keeps
    /// or recomputes it; odd channel counts (padding) and planes with a tail after the groups of eight.
    func testBatchNormOnTheBlockedLayoutGivesTheBitsOfTheStandardOne() {
        var generator = SeededGenerator(seed: 2)
        // 4 channels: in blocks of 16, a group of eight lanes that are all padding.
        for shape in [[2, 10, 5, 7], [3, 16, 4, 6], [2, 24, 3, 3], [4, 8, 1, 11], [1, 32, 9, 9], [2, 4, 3, 5]] {
            let x = random(shape, &generator), scale = random([shape[1]], &generator, scale: 0.5) + 1
            let shift = random([shape[1]], &generator, scale: 0.3), weights = random(shape, &generator)
            for rectified in [false, true] {
                func op(_ x: Tensor, _ scale: Tensor, _ shift: Tensor, _ output: OutputLayout) -> BatchNormResult {
                    rectified ? batchNormReLU(x, scale: scale, shift: shift, output: output)
                              : batchNorm(x, scale: scale, shift: shift, output: output)
                }
                let inputs = [x, scale, shift].map { $0.tracked() }
                let reference = op(inputs[0], inputs[1], inputs[2], .standard)
                let expected = grad(of: dot(reference.output, weights), wrt: inputs, retainGraph: true)
                let expectedSquared = grad(of: dot(reference.output * reference.output, weights), wrt: inputs)
                for block in [8, 16] {
                    for output in [OutputLayout.standard, .blocked] {
                        for smallest in [0, Int.max] {
                            Tape.smallestRecomputedOutput = smallest
                            let what = "\(shape) rectified \(rectified) block \(block) \(output) recomputed \(smallest == 0)"
                            let tracked = [heldBlocked(x, block).tracked(), inputs[1].detached.tracked(), inputs[2].detached.tracked()]
                            let result = op(tracked[0], tracked[1], tracked[2], output)
                            XCTAssertEqual(result.output.format, output == .blocked ? .blocked(block) : .plain, what)
                            XCTAssertEqual(bits(result.output), bits(reference.output), what)
                            XCTAssertEqual(bits(result.mean), bits(reference.mean), what)
                            XCTAssertEqual(bits(result.variance), bits(reference.variance), what)
                            // Through a reader that saves y (so a recomputed y is made again), then the sum.
                            let gradients = grad(of: dot(result.output * result.output, weights), wrt: tracked)
                            for index in 0..<3 { XCTAssertEqual(bits(gradients[index]), bits(expectedSquared[index]), "\(what) input \(index)") }
                            let linear = grad(of: dot(op(tracked[0], tracked[1], tracked[2], output).output, weights), wrt: tracked)
                            for index in 0..<3 { XCTAssertEqual(bits(linear[index]), bits(expected[index]), "\(what) linear, input \(index)") }
                        }
                    }
                }
            }
        }
    }

    /// conv → BN + ReLU → conv → BN + ReLU → transposed conv → BN + ReLU, with blocked outputs
    /// between the ops and without: the same loss and gradients, bit for bit (first order, with the
    /// tape keeping and recomputing outputs), and oneDNN does leave the activations blocked.
    func testAConvolutionChainGivesTheSameBitsInEveryLayout() {
        var generator = SeededGenerator(seed: 3)
        let inputs = [random([2, 3, 8, 10], &generator), random([16, 3, 3, 3], &generator, scale: 0.3),
                      random([16, 16, 3, 3], &generator, scale: 0.1), random([16, 8, 3, 3], &generator, scale: 0.1),
                      random([16], &generator, scale: 0.3) + 1, random([16], &generator, scale: 0.2),
                      random([8], &generator, scale: 0.3) + 1, random([8], &generator, scale: 0.2)]
        let weights = random([2, 8, 16, 20], &generator)
        var formats: [ActivationFormat] = []
        func loss(_ p: [Tensor]) -> Tensor {
            let first = conv2d(p[0], weight: p[1], padding: 1, output: .blocked)
            let a = batchNormReLU(first, scale: p[4], shift: p[5], output: .blocked).output
            let second = conv2d(a, weight: p[2], padding: 1, output: .blocked)
            let b = batchNormReLU(second, scale: p[4], shift: p[5], output: .blocked).output
            let up = transposedConv2d(b, weight: p[3], stride: 2, padding: 1, outputPadding: 1, output: .blocked)
            let c = batchNormReLU(up, scale: p[6], shift: p[7]).output
            formats = [first.format, a.format, second.format, b.format, up.format, c.format]
            return dot(c, weights)
        }
        for smallest in [0, Int.max] {
            Tape.smallestRecomputedOutput = smallest
            OutputLayout.blockedOutputsAllowed = false
            let (plainValue, plainGradients) = valueAndGrad(at: inputs, loss)
            XCTAssertTrue(formats.allSatisfy { $0 == .plain })
            OutputLayout.blockedOutputsAllowed = true
            let (value, gradients) = valueAndGrad(at: inputs, loss)
            XCTAssertTrue(formats.prefix(5).allSatisfy { $0 != .plain }, "\(formats)")
            XCTAssertEqual(formats.last, .plain)
            XCTAssertEqual(value.scalar.bitPattern, plainValue.scalar.bitPattern)
            for index in inputs.indices { XCTAssertEqual(bits(gradients[index]), bits(plainGradients[index]), "input \(index)") }
        }
    }

    /// A blocked chain's first and second derivatives against finite differences (a recorded
    /// backward pass reads the blocked activations through their N×C×H×W values). Batch norm without
    /// the ReLU: its kinks would sit inside the differences' steps (the ReLU mask's bits are the
    /// standard op's, checked above). Three ops in Float32 round the differences more than one op
    /// does (second order off by 2.4 % at 2·10⁻²), hence 5·10⁻²; a wrong rule is off by far more.
    func testTheBlockedChainChecksAgainstFiniteDifferences() {
        var generator = SeededGenerator(seed: 4)
        let inputs = [random([2, 3, 5, 6], &generator), random([16, 3, 3, 3], &generator, scale: 0.4),
                      random([4, 16, 3, 3], &generator, scale: 0.2), random([16], &generator, scale: 0.3) + 1,
                      random([16], &generator, scale: 0.2)]
        GradientCheck(tolerance: 5e-2).run("conv → BN → conv, blocked between them", inputs) { p in
            let normalised = batchNorm(conv2d(p[0], weight: p[1], padding: 1, output: .blocked), scale: p[3], shift: p[4],
                                       output: .blocked).output
            XCTAssertNotEqual(normalised.format, .plain)
            return conv2d(normalised, weight: p[2], padding: 1)
        }
    }
}

extension BlockedActivationTests {
    /// A convolution with a bias leaves its output blocked too; the bias gradient's channel sums
    /// read a blocked ∂L/∂y in their own order (the same bits).
    func testChannelSumsAndABiasedConvolutionGiveTheSameBitsBlocked() {
        var generator = SeededGenerator(seed: 5)
        for shape in [[2, 10, 5, 7], [3, 16, 4, 6], [1, 32, 9, 9], [2, 4, 3, 5]] {
            let x = random(shape, &generator)
            for block in [8, 16] {
                XCTAssertEqual(ReductionKernels.channelSums(heldBlocked(x, block)).scalars(shape[1]).map(\.bitPattern),
                               ReductionKernels.channelSums(x).scalars(shape[1]).map(\.bitPattern), "\(shape) block \(block)")
            }
        }
        let inputs = [random([2, 16, 6, 7], &generator), random([16, 16, 3, 3], &generator, scale: 0.2), random([16], &generator),
                      random([16], &generator, scale: 0.3) + 1, random([16], &generator, scale: 0.2)]
        let weights = random([2, 16, 6, 7], &generator)
        func loss(_ p: [Tensor]) -> Tensor {
            let first = conv2d(p[0], weight: p[1], bias: p[2], padding: 1, output: .blocked)
            let a = batchNormReLU(first, scale: p[3], shift: p[4], output: .blocked).output
            return dot(batchNormReLU(conv2d(a, weight: p[1], bias: p[2], padding: 1, output: .blocked), scale: p[3], shift: p[4]).output,
                       weights)
        }
        OutputLayout.blockedOutputsAllowed = false
        let (plainValue, plainGradients) = valueAndGrad(at: inputs, loss)
        OutputLayout.blockedOutputsAllowed = true
        let (value, gradients) = valueAndGrad(at: inputs, loss)
        XCTAssertEqual(value.scalar.bitPattern, plainValue.scalar.bitPattern)
        for index in inputs.indices { XCTAssertEqual(bits(gradients[index]), bits(plainGradients[index]), "input \(index)") }
    }
}

extension BlockedActivationTests {
    /// 2×2 max pooling of a blocked x: output, indices and ∂L/∂x are the bits of the N×C×H×W op —
    /// with ties (the first position wins), −0 gradients (the scatter-add's 0 + g makes them +0),
    /// odd heights and widths (a row or column no window covers), padding channels, the output
    /// blocked or not — and ∂L/∂x stays blocked like x.
    func testMaxPoolingOnTheBlockedLayoutGivesTheBitsOfTheStandardOne() {
        var generator = SeededGenerator(seed: 6)
        for shape in [[2, 10, 5, 7], [3, 16, 4, 6], [2, 24, 3, 3], [1, 4, 6, 6], [2, 32, 8, 9]] {
            // Values in quarters from −1 to 1: many ties inside a window.
            let x = Tensor(shape: shape, scalars: random(shape, &generator).scalars.map { ($0 * 4).rounded() / 4 })
            var weights = random([shape[0], shape[1], shape[2] / 2, shape[3] / 2], &generator).scalars
            for index in stride(from: 0, to: weights.count, by: 3) { weights[index] = -0.0 }
            let cotangent = Tensor(shape: [shape[0], shape[1], shape[2] / 2, shape[3] / 2], scalars: weights)
            let reference = x.tracked()
            let (expected, expectedIndices) = maxPool2dWithIndices(reference, size: 2)
            let expectedGradient = grad(of: dot(expected, cotangent), wrt: [reference])[0]
            XCTAssertTrue(expectedGradient.scalars.contains { $0 == 0 && $0.sign == .plus })
            for block in [8, 16] {
                for output in [OutputLayout.standard, .blocked] {
                    let what = "\(shape) block \(block) \(output)"
                    let input = heldBlocked(x, block).tracked()
                    let (pooled, indices) = maxPool2dWithIndices(input, size: 2, output: output)
                    XCTAssertEqual(pooled.format, output == .blocked ? .blocked(block) : .plain, what)
                    XCTAssertEqual(indices.format, .blocked(block), what)
                    XCTAssertEqual(bits(pooled), bits(expected), what)
                    XCTAssertEqual(bits(indices), bits(expectedIndices), what)
                    let gradient = grad(of: dot(pooled, cotangent), wrt: [input])[0]
                    XCTAssertEqual(gradient.format, .blocked(block), what)
                    XCTAssertEqual(bits(gradient), bits(expectedGradient), what)
                    // The gradient's padding lanes are zeros, as a blocked tensor's must be.
                    XCTAssertEqual(gradient.heldStorage.scalars(gradient.heldStorage.count).map(\.bitPattern),
                                   heldBlocked(expectedGradient, block).heldStorage.scalars(gradient.heldStorage.count).map(\.bitPattern), what)
                }
            }
        }
    }

    /// conv → 2×2 max pooling → conv with the activations blocked throughout: the same bits as
    /// without, and first and second derivatives against finite differences (a recorded backward
    /// pass runs through the N×C×H×W scatter-add).
    func testAPooledChainIsTheSameInEveryLayoutAndChecksAgainstFiniteDifferences() {
        var generator = SeededGenerator(seed: 7)
        let inputs = [random([2, 3, 6, 8], &generator), random([16, 3, 3, 3], &generator, scale: 0.4),
                      random([4, 16, 3, 3], &generator, scale: 0.2)]
        var formats: [ActivationFormat] = []
        func chain(_ p: [Tensor]) -> Tensor {
            let convolved = conv2d(p[0], weight: p[1], padding: 1, output: .blocked)
            let pooled = maxPool2d(convolved, size: 2, output: .blocked)
            formats = [convolved.format, pooled.format]
            return conv2d(pooled, weight: p[2], padding: 1)
        }
        let weights = random([2, 4, 3, 4], &generator)
        OutputLayout.blockedOutputsAllowed = false
        let (plainValue, plainGradients) = valueAndGrad(at: inputs) { dot(chain($0), weights) }
        OutputLayout.blockedOutputsAllowed = true
        let (value, gradients) = valueAndGrad(at: inputs) { dot(chain($0), weights) }
        XCTAssertTrue(formats.allSatisfy { $0 != .plain }, "\(formats)")
        XCTAssertEqual(value.scalar.bitPattern, plainValue.scalar.bitPattern)
        for index in inputs.indices { XCTAssertEqual(bits(gradients[index]), bits(plainGradients[index]), "input \(index)") }
        GradientCheck(tolerance: 5e-2).run("conv → max pool → conv, blocked between them", inputs) { p in
            let y = chain(p)
            XCTAssertNotEqual(formats[1], .plain)
            return y
        }
    }
}

private extension TensorStorage {
    func scalars(_ count: Int) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
