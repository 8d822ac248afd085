import XCTest
import TandemCore
import TandemModels

final class SplitVGGTests: XCTestCase {
    /// Conv3×3 (bias-free) + batch-norm scale and shift.
    func convBatchNorm(_ input: Int, _ output: Int) -> Int { 9 * input * output + 2 * output }

    func testParameterCountMatchesThePaperAndTheSpecification() {
        // Trainable parameters, one 13-channel head: conv weights, BN scale and shift, prediction weight and bias.
        let total = initialParameters(SplitVGG(split: 3, heads: [denseTriple[0]])).scalarCount
        print("SplitVGG, width 1, one 13-channel head: \(total) parameters (paper: 7.34 M)")
        XCTAssertEqual(Double(total), 7.34e6, accuracy: 0.02 * 7.34e6)
        // The same count derived layer by layer from the written specification.
        var encoder = 0, channels = 3
        for (layers, width) in [(2, 32), (2, 64), (3, 128), (3, 256), (3, 256)] {
            for _ in 0..<layers { encoder += convBatchNorm(channels, width); channels = width }
        }
        var decoder = 0
        for (layers, working, output) in [(3, 256, 256), (3, 256, 128), (3, 128, 64), (2, 64, 32), (2, 32, 32)] {
            decoder += convBatchNorm(channels, working) + (layers - 2) * convBatchNorm(working, working) + convBatchNorm(working, output)
            channels = output
        }
        let prediction = 32 * 13 + 13
        XCTAssertEqual(total, encoder + decoder + prediction)
        XCTAssertEqual(total, 7_372_877)
    }

    func testRepresentationAndOutputShapesForEverySplit() {
        let input = Tensor.zeros([2, 3, 32, 64])
        let channels = [1: 8, 2: 16, 3: 32, 4: 64, 5: 64]  // 32, 64, 128, 256, 256 at width 0.25
        for split in 1...5 {
            let model = SplitVGG(split: split, heads: denseTriple, width: 0.25)
            let context = ForwardContext(parameters: initialParameters(model), buffers: model.initialBuffers(), isTraining: true)
            let z = model.encode(input, context)
            let factor = 1 << split
            XCTAssertEqual(z.shape, [2, channels[split]!, 32 / factor, 64 / factor], "SplitVGG-\(split) z")
            XCTAssertEqual(model.representationShape(inputShape: input.shape), z.shape)
            XCTAssertEqual(model.head("segmentation", z, context).shape, [2, 13, 32, 64])
            XCTAssertEqual(model.head("depth", z, context).shape, [2, 1, 32, 64])
            XCTAssertEqual(model.head("normals", z, context).shape, [2, 3, 32, 64])
        }
        XCTAssertEqual(SplitVGG(split: 3, heads: denseTriple).representationShape(inputShape: [1, 3, 288, 384]), [1, 128, 36, 48])
    }

    func testSharedAndTaskParametersSplitAtDecoderBlocks() {
        // Decoder blocks 0…4 at width 1 (the first layer of each is the transposed convolution).
        let blockCounts = [
            convBatchNorm(256, 256) * 3,
            convBatchNorm(256, 256) * 2 + convBatchNorm(256, 128),
            convBatchNorm(128, 128) * 2 + convBatchNorm(128, 64),
            convBatchNorm(64, 64) + convBatchNorm(64, 32),
            convBatchNorm(32, 32) * 2,
        ]
        var previousFraction = 1.0
        for split in 1...5 {
            let parameters = initialParameters(SplitVGG(split: split, heads: denseTriple))
            XCTAssertEqual(parameters.shared.count + denseTriple.map { parameters.head($0.task).count }.reduce(0, +), parameters.count)
            for head in denseTriple {
                let expected = blockCounts[(5 - split)...].reduce(0, +) + 32 * head.channels + head.channels
                XCTAssertEqual(parameters.head(head.task).scalarCount, expected, "SplitVGG-\(split) head \(head.task)")
            }
            // The heads are copies: the same names after the task prefix.
            let depthNames = parameters.head("depth").names.map { $0.dropFirst("heads.depth.".count) }
            let normalNames = parameters.head("normals").names.map { $0.dropFirst("heads.normals.".count) }
            XCTAssertEqual(depthNames, normalNames)
            let oneHead = initialParameters(SplitVGG(split: split, heads: [denseTriple[0]]))
            let fraction = Double(oneHead.shared.scalarCount) / Double(oneHead.scalarCount)
            print("SplitVGG-\(split): z after \(5 - split) shared decoder blocks, \(String(format: "%.1f", 100 * fraction)) % of parameters shared (one head)")
            XCTAssertLessThan(fraction, previousFraction)
            previousFraction = fraction
        }
        let five = initialParameters(SplitVGG(split: 5, heads: [denseTriple[0]]))
        XCTAssertEqual(Double(five.shared.scalarCount) / Double(five.scalarCount), 0.5, accuracy: 0.01)
        XCTAssertTrue(five.shared.names.allSatisfy { $0.hasPrefix("shared.encoder.") })
    }

    func testFewerBlocksKeepTheFirstEncoderAndLastDecoderBlocks() {
        // B = 3 at width 1: encoder blocks (2, 32), (2, 64), (3, 128); decoder blocks 2…4 of the
        // paper's model, the first reading the 128-channel encoder output.
        var expected = 0, channels = 3
        for (layers, width) in [(2, 32), (2, 64), (3, 128)] {
            for _ in 0..<layers { expected += convBatchNorm(channels, width); channels = width }
        }
        for (layers, working, output) in [(3, 128, 64), (2, 64, 32), (2, 32, 32)] {
            expected += convBatchNorm(channels, working) + (layers - 2) * convBatchNorm(working, working) + convBatchNorm(working, output)
            channels = output
        }
        expected += 32 * 13 + 13
        let three = SplitVGG(split: 2, heads: [denseTriple[0]], blocks: 3)
        XCTAssertEqual(initialParameters(three).scalarCount, expected)
        // Inputs need multiples of 2³ only; z of SplitVGG-x at 1/2ˣ, the bottleneck at 1/8.
        let input = Tensor.zeros([2, 3, 24, 40])
        let channelsOfZ = [1: 8, 2: 16, 3: 32]  // decoder outputs 32, 64 and the encoder's 128, at width 0.25
        for split in 1...3 {
            let model = SplitVGG(split: split, heads: denseTriple, width: 0.25, blocks: 3)
            let context = ForwardContext(parameters: initialParameters(model), buffers: model.initialBuffers(), isTraining: true)
            let z = model.encode(input, context)
            XCTAssertEqual(z.shape, [2, channelsOfZ[split]!, 24 >> split, 40 >> split], "SplitVGG-\(split), 3 blocks, z")
            XCTAssertEqual(model.representationShape(inputShape: input.shape), z.shape)
            XCTAssertEqual(model.head("normals", z, context).shape, [2, 3, 24, 40])
            let parameters = initialParameters(model)
            XCTAssertEqual(parameters.head("depth").names.filter { $0.contains(".decoder.block") }.map { String($0.split(separator: ".")[3]) }.uniqued(),
                           (3 - split..<3).map { "block\($0)" }, "SplitVGG-\(split), 3 blocks: per-task decoder blocks")
        }
        // Five blocks is the paper's model, parameter for parameter.
        XCTAssertEqual(initialParameters(SplitVGG(split: 3, heads: denseTriple, blocks: 5)).names,
                       initialParameters(SplitVGG(split: 3, heads: denseTriple)).names)
    }

    func testGradientThroughRepresentationEqualsFullBackward() {
        var generator = SeededGenerator(seed: 4)
        let input = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        let losses = denseLosses(targets: denseTargets(for: input))
        for split in [1, 3, 5] {
            let model = SplitVGG(split: split, heads: [DenseTaskHead(task: "segmentation", channels: 4)] + denseTriple.dropFirst(),
                                 width: 0.125)
            assertGradientThroughRepresentationEqualsFullBackward(model, input: input, losses: losses, label: "SplitVGG-\(split)")
        }
    }

    func testTrainingLowersEveryTaskLoss() {
        let input = blockyImages(batch: 4, seed: 12)
        let model = SplitVGG(split: 3, heads: [DenseTaskHead(task: "segmentation", channels: 4)] + denseTriple.dropFirst(), width: 0.25)
        let (losses, buffers) = trainOnFixedBatch(model, input: input, losses: denseLosses(targets: denseTargets(for: input)),
                                                  steps: 40, learningRate: 0.05)
        let initial = model.initialBuffers()
        XCTAssertEqual(buffers.names, initial.names)
        XCTAssertTrue(buffers.names.allSatisfy { buffers[$0].scalars != initial[$0].scalars }, "every running statistic moved")
        for (task, history) in losses {
            print("SplitVGG-3 \(task): \(history.first!) → \(history.last!)")
            XCTAssertLessThan(history.last!, 0.7 * history.first!, "SplitVGG-3 \(task) loss")
        }
    }
}
