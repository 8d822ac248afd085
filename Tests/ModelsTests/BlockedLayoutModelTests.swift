import XCTest
import TandemCore
@testable import TandemModels

/// The models whose conv → batch norm → ReLU units keep activations in the convolution kernels'
/// blocked layout between units (`OutputLayout`) give the numbers they give without it, bit for
/// bit: the loss, every parameter's gradient and the batch statistics of a training step.
final class BlockedLayoutModelTests: XCTestCase {
    override func tearDown() {
        OutputLayout.blockedOutputsAllowed = true
        super.tearDown()
    }

    private func trainingStep(_ model: any MultiTaskModel, input: Tensor) -> [String: [UInt32]] {
        let parameters = initialParameters(model, seed: 7).tracked()
        let sink = BatchNormStatisticsSink()
        let context = ForwardContext(parameters: parameters, buffers: model.initialBuffers(), isTraining: true, statistics: sink)
        let outputs = model(input, context)
        var generator = SeededGenerator(seed: 8)
        let loss = model.taskNames.map { task in
            dot(outputs[task]!, Tensor.randomNormal(outputs[task]!.shape, generator: &generator))
        }.reduce(Tensor(0), +)
        var bits = ["loss": [loss.scalar.bitPattern]]
        let gradients = grad(of: loss, wrt: parameters)
        for name in gradients.names { bits[name] = gradients[name].scalars.map(\.bitPattern) }
        for (layer, statistics) in sink.batchStatistics {
            bits[layer + ".mean"] = statistics.mean.scalars.map(\.bitPattern)
            bits[layer + ".variance"] = statistics.variance.scalars.map(\.bitPattern)
        }
        return bits
    }

    private func assertLayoutDoesNotChangeTheBits(_ model: any MultiTaskModel, input: Tensor, _ label: String) {
        OutputLayout.blockedOutputsAllowed = false
        let standard = trainingStep(model, input: input)
        OutputLayout.blockedOutputsAllowed = true
        let blocked = trainingStep(model, input: input)
        XCTAssertEqual(Set(blocked.keys), Set(standard.keys), label)
        XCTAssertGreaterThan(standard.count, 10, label)
        for (name, values) in standard { XCTAssertEqual(blocked[name], values, "\(label): \(name)") }
    }

    func testSplitVGGGivesTheSameBitsWithBlockedActivations() {
        var generator = SeededGenerator(seed: 1)
        let input = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        // Width 0.25: 8 to 64 channels (whole blocks of 8, and half blocks of 16 under AVX-512).
        assertLayoutDoesNotChangeTheBits(SplitVGG(split: 2, heads: denseTriple, width: 0.25, blocks: 3), input: input, "SplitVGG-2")
    }

    func testSegNetMTANGivesTheSameBitsWithBlockedActivations() {
        var generator = SeededGenerator(seed: 2)
        let input = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        assertLayoutDoesNotChangeTheBits(SegNetMTAN(heads: denseTriple, width: 1.0 / 8), input: input, "SegNet-MTAN")
    }
}
