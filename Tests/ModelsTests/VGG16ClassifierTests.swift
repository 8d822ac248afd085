import XCTest
import TandemCore
import TandemModels

/// VGG-16 with hard sharing for the CIFAR-100 domains: the count derived layer by layer, shapes,
/// the shared/task split, gradients through z, and training on a fixed batch.
final class VGG16ClassifierTests: XCTestCase {
    static let domains = (0..<20).map { (task: "domain\($0)", classes: 5) }

    func testParameterCountsAndShapes() {
        let model = VGG16Classifier(heads: Self.domains)
        let parameters = initialParameters(model)
        // 13 bias-free conv3×3 layers with batch-norm scale and shift.
        var channels = 3, encoder = 0
        for (layers, output) in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)] {
            for _ in 0..<layers {
                encoder += channels * output * 9 + 2 * output
                channels = output
            }
        }
        XCTAssertEqual(encoder, 14_718_912)
        XCTAssertEqual(parameters.shared.scalarCount, encoder)
        XCTAssertEqual(parameters.head("domain7").scalarCount, 512 * 5 + 5)
        XCTAssertEqual(parameters.scalarCount, 14_718_912 + 20 * 2_565)
        XCTAssertEqual(parameters.shared.count + (0..<20).reduce(0) { $0 + parameters.head("domain\($1)").count }, parameters.count)
        XCTAssertEqual(model.initialBuffers().names.count, 13 * 2, "running mean and variance of each batch norm")
        print("VGG-16, 20 five-way heads: \(parameters.scalarCount) parameters (shared \(parameters.shared.scalarCount))")

        let tiny = VGG16Classifier(heads: Self.domains, width: 0.0625)
        XCTAssertEqual(tiny.representationSize, 32)
        let tinyParameters = initialParameters(tiny)
        let context = ForwardContext(parameters: tinyParameters, buffers: tiny.initialBuffers(), isTraining: true)
        let z = tiny.encode(Tensor.zeros([2, 3, 32, 32]), context)
        XCTAssertEqual(z.shape, [2, 32])
        XCTAssertEqual(tiny.head("domain19", z, context).shape, [2, 5])
        XCTAssertEqual(tiny.encode(Tensor.zeros([1, 3, 16, 48]), context).shape, [1, 32], "any multiple of 16")
    }

    func testGradientThroughRepresentationEqualsFullBackward() {
        var generator = SeededGenerator(seed: 4)
        let input = Tensor.randomNormal([6, 3, 32, 32], generator: &generator)
        let model = VGG16Classifier(heads: [("a", 5), ("b", 5), ("c", 3)], width: 0.0625)
        func labels(_ k: Int, _ classes: Int) -> Tensor { Tensor(shape: [6], scalars: (0..<6).map { Float(($0 * k + 1) % classes) }) }
        // Task c leaves two samples unlabelled (−1), as the domains of other images are.
        let c = Tensor(shape: [6], scalars: [0, -1, 2, 1, -1, 0])
        assertGradientThroughRepresentationEqualsFullBackward(
            model, input: input,
            losses: ["a": { crossEntropy(logits: $0, labels: labels(1, 5)) }, "b": { crossEntropy(logits: $0, labels: labels(3, 5)) },
                     "c": { crossEntropy(logits: $0, labels: c) }],
            label: "VGG16Classifier")
    }

    func testTrainingLowersEveryTaskLoss() {
        let input = blockyImages(batch: 8, seed: 21)
        let model = VGG16Classifier(heads: [("a", 5), ("b", 5)], width: 0.125)
        let a = Tensor(shape: [8], scalars: (0..<8).map { Float($0 % 5) })
        let b = Tensor(shape: [8], scalars: (0..<8).map { Float((3 * $0 + 2) % 5) })
        let (losses, _) = trainOnFixedBatch(model, input: input,
                                            losses: ["a": { crossEntropy(logits: $0, labels: a) }, "b": { crossEntropy(logits: $0, labels: b) }],
                                            steps: 40, learningRate: 0.05)
        for (task, history) in losses {
            print("VGG16Classifier \(task): \(history.first!) → \(history.last!)")
            XCTAssertLessThan(history.last!, 0.5 * history.first!, "VGG16Classifier \(task) loss")
        }
    }
}
