import XCTest
import TandemCore
import TandemModels

final class SplitResTests: XCTestCase {
    func convBatchNorm(_ input: Int, _ output: Int, kernel: Int = 3) -> Int { kernel * kernel * input * output + 2 * output }

    func testParameterCountIsWithinThePaperTolerance() {
        let total = initialParameters(SplitRes(split: 3, heads: [denseTriple[0]])).scalarCount
        print("SplitRes, width 1, one 13-channel head: \(total) parameters (paper: 5.62 M)")
        XCTAssertEqual(Double(total), 5.62e6, accuracy: 0.03 * 5.62e6)
        // Derived from the documented choices: stem, 4 stages of 2 basic blocks, decoder 4, 3, 3, 2, 2 layers.
        var encoder = convBatchNorm(3, 32, kernel: 7), channels = 32
        for (stage, width) in [32, 64, 128, 256].enumerated() {
            for block in 0..<2 {
                encoder += convBatchNorm(channels, width) + convBatchNorm(width, width)
                if stage > 0 && block == 0 { encoder += convBatchNorm(channels, width, kernel: 1) }
                channels = width
            }
        }
        var decoder = 0
        for (layers, working, output) in [(4, 256, 128), (3, 128, 128), (3, 128, 64), (2, 64, 32), (2, 32, 32)] {
            decoder += convBatchNorm(channels, working) + (layers - 2) * convBatchNorm(working, working) + convBatchNorm(working, output)
            channels = output
        }
        XCTAssertEqual(total, encoder + decoder + 32 * 13 + 13)
        XCTAssertEqual(total, 5_751_949)
    }

    func testRepresentationAndOutputShapesForEverySplit() {
        let input = Tensor.zeros([2, 3, 32, 64])
        let channels = [1: 8, 2: 16, 3: 32, 4: 32, 5: 64]  // 32, 64, 128, 128, 256 at width 0.25
        for split in 1...5 {
            let model = SplitRes(split: split, heads: denseTriple, width: 0.25)
            let context = ForwardContext(parameters: initialParameters(model), buffers: model.initialBuffers(), isTraining: true)
            let z = model.encode(input, context)
            let factor = 1 << split
            XCTAssertEqual(z.shape, [2, channels[split]!, 32 / factor, 64 / factor], "SplitRes-\(split) z")
            XCTAssertEqual(model.representationShape(inputShape: input.shape), z.shape)
            for head in denseTriple {
                XCTAssertEqual(model.head(head.task, z, context).shape, [2, head.channels, 32, 64])
            }
        }
    }

    func testSharedAndTaskParametersSplitAtDecoderBlocks() {
        var previousFraction = 1.0
        var previousHead = 0
        for split in 1...5 {
            let parameters = initialParameters(SplitRes(split: split, heads: denseTriple))
            XCTAssertEqual(parameters.shared.count + denseTriple.map { parameters.head($0.task).count }.reduce(0, +), parameters.count)
            XCTAssertTrue(parameters.shared.names.allSatisfy { $0.hasPrefix("shared.encoder.") || $0.hasPrefix("shared.decoder.") })
            XCTAssertEqual(parameters.shared.names.filter { $0.hasPrefix("shared.decoder.block") }.map { String($0.split(separator: ".")[2]) }.uniqued(),
                           (0..<(5 - split)).map { "block\($0)" })
            let head = parameters.head("depth").scalarCount
            XCTAssertGreaterThan(head, previousHead, "SplitRes-\(split): more blocks per task")
            previousHead = head
            let oneHead = initialParameters(SplitRes(split: split, heads: [denseTriple[0]]))
            let fraction = Double(oneHead.shared.scalarCount) / Double(oneHead.scalarCount)
            print("SplitRes-\(split): \(String(format: "%.1f", 100 * fraction)) % of parameters shared (one head)")
            XCTAssertLessThan(fraction, previousFraction)
            previousFraction = fraction
        }
    }

    func testGradientThroughRepresentationEqualsFullBackward() {
        var generator = SeededGenerator(seed: 8)
        let input = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        let losses = denseLosses(targets: denseTargets(for: input))
        for split in [2, 5] {
            let model = SplitRes(split: split, heads: [DenseTaskHead(task: "segmentation", channels: 4)] + denseTriple.dropFirst(),
                                 width: 0.125)
            assertGradientThroughRepresentationEqualsFullBackward(model, input: input, losses: losses, label: "SplitRes-\(split)")
        }
    }

    func testTrainingLowersEveryTaskLoss() {
        let input = blockyImages(batch: 4, seed: 12)
        let model = SplitRes(split: 2, heads: [DenseTaskHead(task: "segmentation", channels: 4)] + denseTriple.dropFirst(), width: 0.25)
        let (losses, _) = trainOnFixedBatch(model, input: input, losses: denseLosses(targets: denseTargets(for: input)),
                                            steps: 40, learningRate: 0.05)
        for (task, history) in losses {
            print("SplitRes-2 \(task): \(history.first!) → \(history.last!)")
            XCTAssertLessThan(history.last!, 0.7 * history.first!, "SplitRes-2 \(task) loss")
        }
    }
}
