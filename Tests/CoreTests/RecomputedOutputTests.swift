import XCTest
@testable import TandemCore

/// The tape keeps the outputs of batch norm, ReLU, sigmoid and tanh as references and recomputes
/// them for the backward rules that read them (`SavedTensor`): the gradients must be the bits they
/// are when the tape keeps the outputs themselves, and the memory must go.
final class RecomputedOutputTests: XCTestCase {
    static let defaultSmallest = Tape.smallestRecomputedOutput

    override func tearDown() {
        Tape.smallestRecomputedOutput = RecomputedOutputTests.defaultSmallest
        super.tearDown()
    }

    /// Runs `body` with the tape keeping every recomputable output as a reference (`true`) or
    /// every one as a tensor.
    private func withRecomputation<R>(_ enabled: Bool, _ body: () -> R) -> R {
        let previous = Tape.smallestRecomputedOutput
        Tape.smallestRecomputedOutput = enabled ? 0 : .max
        defer { Tape.smallestRecomputedOutput = previous }
        return body()
    }

    private struct Network {
        let input: Tensor, first: Tensor, second: Tensor, side: Tensor, scale: Tensor, shift: Tensor
        var all: [Tensor] { [input, first, second, side, scale, shift] }

        init(seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            input = random([2, 3, 7, 5], &generator)
            first = random([4, 3, 3, 3], &generator, scale: 0.4)
            second = random([4, 4, 3, 3], &generator, scale: 0.3)
            side = random([4, 4, 1, 1], &generator, scale: 0.5)
            scale = random([4], &generator, scale: 0.5) + 1
            shift = random([4], &generator, scale: 0.2)
        }

        /// conv → BN + ReLU → conv → BN → sigmoid, gated by tanh(conv₁ₓ₁(·)) of the same hidden
        /// layer and a ReLU of it: every recomputable op, outputs read by one reader and by several.
        func loss(_ p: [Tensor]) -> Tensor {
            let hidden = batchNormReLU(conv2d(p[0], weight: p[1], padding: 1), scale: p[4], shift: p[5]).output
            let mask = sigmoid(batchNorm(conv2d(hidden, weight: p[2], padding: 1), scale: p[4], shift: p[5]).output)
            let gate = tanh(conv2d(hidden, weight: p[3]))
            let out = mask * gate + relu(hidden) * hidden
            return (out * out).sum()
        }
    }

    func testGradientsAreTheSameBitsAsWhenTheTapeKeepsTheOutputs() {
        let network = Network(seed: 3)
        let gradients = [true, false].map { enabled in
            withRecomputation(enabled) { valueAndGrad(at: network.all, network.loss).gradients.map(\.scalars) }
        }
        for (index, (recomputed, kept)) in zip(gradients[0], gradients[1]).enumerated() {
            XCTAssertEqual(recomputed.map(\.bitPattern), kept.map(\.bitPattern), "gradient \(index)")
        }
    }

    func testSecondOrderGradientsAreTheSameBitsAsWhenTheTapeKeepsTheOutputs() {
        let network = Network(seed: 4)
        let results = [true, false].map { enabled in
            withRecomputation(enabled) { () -> [[Float]] in
                let tracked = network.all.map { $0.tracked() }
                let first = grad(of: network.loss(tracked), wrt: tracked, createGraph: true)
                let penalty = first.map { ($0 * $0).sum() }.reduce(Tensor(0), +)
                return grad(of: penalty, wrt: tracked).map(\.scalars)
            }
        }
        for (index, (recomputed, kept)) in zip(results[0], results[1]).enumerated() {
            XCTAssertEqual(recomputed.map(\.bitPattern), kept.map(\.bitPattern), "second-order gradient \(index)")
        }
    }

    /// A reader that runs after a backward pass released its producer (one that did not need the
    /// reader) still gets the output: the producer pins it before letting go of what it saved.
    func testAReaderThatRunsAfterItsProducerWasReleasedGetsTheOutput() {
        let network = Network(seed: 5)
        let gradients = [true, false].map { enabled in
            withRecomputation(enabled) { () -> [Float] in
                let p = network.all.map { $0.tracked() }
                // In a function of its own, so that nothing but the tape refers to the output afterwards.
                func readers() -> (Tensor, Tensor) {
                    let hidden = batchNormReLU(conv2d(p[0], weight: p[1], padding: 1), scale: p[4], shift: p[5]).output
                    return (conv2d(hidden, weight: p[2], padding: 1).sum(), conv2d(hidden, weight: p[3]).sum())
                }
                let (viaFirst, viaSecond) = readers()
                _ = grad(of: viaFirst, wrt: [p[1]])  // runs and releases the batch norm, not the second reader
                return grad(of: viaSecond, wrt: [p[3]])[0].scalars
            }
        }
        XCTAssertEqual(gradients[0].map(\.bitPattern), gradients[1].map(\.bitPattern))
    }

    /// After the forward pass, the tape holds no copy of a recomputable output: with two batch-norm
    /// + ReLU outputs read only by the next convolution, the live memory is two outputs less.
    func testTheTapeDoesNotKeepRecomputableOutputs() {
        var generator = SeededGenerator(seed: 6)
        let input = random([2, 4, 16, 16], &generator).tracked()
        let weights = (0..<3).map { _ in random([4, 4, 3, 3], &generator, scale: 0.2).tracked() }
        let scale = Tensor.ones([4]).tracked(), shift = Tensor.zeros([4]).tracked()
        func liveBytesAfterForward(recomputing: Bool) -> Int {
            withRecomputation(recomputing) {
                var x = input
                for weight in weights.prefix(2) {
                    x = batchNormReLU(conv2d(x, weight: weight, padding: 1), scale: scale, shift: shift).output
                }
                let loss = conv2d(x, weight: weights[2], padding: 1).sum()
                x = input
                let live = TensorMemory.liveBytes
                withExtendedLifetime(loss) {}
                return live
            }
        }
        let outputBytes = BufferPool.bucket(for: input.count) * 4
        let kept = liveBytesAfterForward(recomputing: false), recomputed = liveBytesAfterForward(recomputing: true)
        XCTAssertEqual(kept - recomputed, 2 * outputBytes)
    }

    /// Each op's recompute rule gives its forward output's bits, on planes that fill vector
    /// registers and planes that do not, and on N×C inputs for batch norm.
    func testEachRecomputeRuleGivesTheForwardsBits() {
        var generator = SeededGenerator(seed: 7)
        for shape in [[2, 3, 4, 8], [3, 2, 5, 3], [6, 5]] {
            let x = random(shape, &generator, scale: 2).tracked()
            let channels = shape[1]
            let scale = (random([channels], &generator, scale: 0.5) + 1).tracked()
            let shift = random([channels], &generator).tracked()
            let outputs: [(String, Tensor)] = [
                ("relu", relu(x)), ("sigmoid", sigmoid(x)), ("tanh", tanh(x)),
                ("batchNorm", batchNorm(x, scale: scale, shift: shift).output),
                ("batchNormReLU", batchNormReLU(x, scale: scale, shift: shift).output),
            ]
            for (name, output) in outputs {
                let node = output.node!
                let recomputed = node.recomputeOutput!(node.savedTensors!)
                let again = Tensor(shape: output.shape, storage: recomputed)
                XCTAssertEqual(again.scalars.map(\.bitPattern), output.scalars.map(\.bitPattern), "\(name) \(shape)")
            }
        }
    }
}
