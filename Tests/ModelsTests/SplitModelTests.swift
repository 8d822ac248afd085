import XCTest
import TandemCore
import TandemModels

final class SplitModelTests: XCTestCase {
    let dense = [DenseTaskHead(task: "segmentation", channels: 13), DenseTaskHead(task: "depth", channels: 1),
                 DenseTaskHead(task: "normals", channels: 3)]

    func count(_ model: any MultiTaskModel) -> Parameters {
        var generator = SeededGenerator(seed: 0)
        return model.initialParameters(generator: &generator)
    }

    func testSplitVGGParameterCountMatchesThePaper() {
        // One head (13 classes); trainable parameters including batch-norm scale and shift.
        let total = count(SplitVGG(split: 3, heads: [dense[0]])).scalarCount
        print("SplitVGG, one 13-class head: \(total) parameters (paper: 7.34 M)")
        XCTAssertEqual(Double(total), 7.34e6, accuracy: 0.02 * 7.34e6)
        XCTAssertEqual(total, 7_372_877)
    }

    func testSplitResParameterCountIsWithinTolerance() {
        let total = count(SplitRes(split: 3, heads: [dense[0]])).scalarCount
        print("SplitRes, one 13-class head: \(total) parameters (paper: 5.62 M)")
        XCTAssertEqual(Double(total), 5.62e6, accuracy: 0.03 * 5.62e6)
    }

    func testSharedFractionGrowsWithEarlierSplits() {
        var previous = 1.0
        for x in 1...5 {
            let p = count(SplitVGG(split: x, heads: [dense[0]]))
            let fraction = Double(p.shared.scalarCount) / Double(p.scalarCount)
            print("SplitVGG-\(x): \(String(format: "%.1f", fraction * 100)) % of parameters shared")
            XCTAssertLessThan(fraction, previous)
            previous = fraction
            XCTAssertEqual(p.shared.count + p.head("segmentation").count, p.count)
        }
        let five = count(SplitVGG(split: 5, heads: [dense[0]]))
        XCTAssertEqual(Double(five.shared.scalarCount) / Double(five.scalarCount), 0.5, accuracy: 0.01)
    }

    func testOutputShapesForEverySplit() {
        let x = Tensor.zeros([2, 3, 32, 64])
        let expectedZ: [Int: [Int]] = [1: [2, 8, 16, 32], 2: [2, 16, 8, 16], 3: [2, 32, 4, 8], 4: [2, 64, 2, 4], 5: [2, 64, 1, 2]]
        for split in 1...5 {
            for model in [SplitVGG(split: split, heads: dense, width: 0.25) as any MultiTaskModel,
                          SplitRes(split: split, heads: dense, width: 0.25)] {
                let p = count(model)
                let context = ForwardContext(parameters: p, buffers: model.initialBuffers(), isTraining: true)
                let z = model.encode(x, context)
                if model is SplitVGG { XCTAssertEqual(z.shape, expectedZ[split]!, "SplitVGG-\(split) z") }
                XCTAssertEqual(model.head("segmentation", z, context).shape, [2, 13, 32, 64])
                XCTAssertEqual(model.head("depth", z, context).shape, [2, 1, 32, 64])
                XCTAssertEqual(model.head("normals", z, context).shape, [2, 3, 32, 64])
                for task in ["segmentation", "depth", "normals"] {
                    XCTAssertFalse(p.head(task).isEmpty)
                    XCTAssertTrue(p.head(task).names.allSatisfy { $0.hasPrefix("heads.\(task).") })
                }
            }
        }
    }

    func testGradientThroughZEqualsTheFullBackward() {
        let model = SplitVGG(split: 3, heads: dense, width: 0.125)
        var generator = SeededGenerator(seed: 4)
        let p = model.initialParameters(generator: &generator)
        let x = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        let target = Tensor.randomNormal([2, 1, 32, 32], generator: &generator)
        func loss(_ prediction: Tensor) -> Tensor { let d = prediction - target; return (d * d).mean() }
        // Route 1: one backward of the whole loss to the shared parameters.
        let tracked = p.tracked()
        let context = ForwardContext(parameters: tracked, buffers: model.initialBuffers(), isTraining: true)
        let direct = grad(of: loss(model.head("depth", model.encode(x, context), context)), wrt: tracked.shared)
        // Route 2: h = ∂L/∂z through the head on a detached z, then z's graph with seed h.
        let tracked2 = p.tracked()
        let context2 = ForwardContext(parameters: tracked2, buffers: model.initialBuffers(), isTraining: true)
        let z = model.encode(x, context2)
        let leaf = z.detached.tracked()
        let h = grad(of: loss(model.head("depth", leaf, context2)), wrt: [leaf])[0]
        let viaZ = grad(of: z, wrt: tracked2.shared, seed: h)
        for name in direct.names {
            for (a, b) in zip(direct[name].scalars, viaZ[name].scalars) { XCTAssertEqual(a, b, accuracy: 1e-6 + 1e-4 * abs(a), name) }
        }
    }

    func testBatchNormTrainingAndEvaluationModes() {
        let model = SplitVGG(split: 5, heads: [dense[1]], width: 0.125)
        var generator = SeededGenerator(seed: 9)
        let p = model.initialParameters(generator: &generator)
        let buffers = model.initialBuffers()
        let x = Tensor.randomNormal([4, 3, 32, 32], mean: 2, standardDeviation: 3, generator: &generator)
        let sink = BatchNormStatisticsSink()
        let train = model.encode(x, ForwardContext(parameters: p, buffers: buffers, isTraining: true, statistics: sink))
        XCTAssertEqual(sink.batchStatistics.count, 13, "every encoder BN layer reports its batch statistics")
        let updated = sink.updatedBuffers(buffers, momentum: 0.1)
        let name = "shared.encoder.block0.layer0.bn"
        XCTAssertNotEqual(updated["\(name).runningMean"].scalars, buffers["\(name).runningMean"].scalars)
        // A second sink sees only the pass it was given to: statistics never leak between passes.
        let other = BatchNormStatisticsSink()
        _ = model.encode(x * 2, ForwardContext(parameters: p, buffers: buffers, isTraining: true, statistics: other))
        XCTAssertNotEqual(other.batchStatistics[name]!.mean.scalars, sink.batchStatistics[name]!.mean.scalars)
        // Evaluation uses the running statistics: with the initial ones (0, 1) it differs from training.
        let evaluation = model.encode(x, ForwardContext(parameters: p, buffers: buffers, isTraining: false))
        XCTAssertEqual(evaluation.shape, train.shape)
        XCTAssertNotEqual(evaluation.scalars, train.scalars)
        let again = model.encode(x, ForwardContext(parameters: p, buffers: buffers, isTraining: false))
        XCTAssertEqual(evaluation.scalars, again.scalars)
    }

    func testTrainingLowersTheLossOfEveryModel() {
        var generator = SeededGenerator(seed: 12)
        let x = Tensor.randomNormal([4, 3, 32, 32], generator: &generator)
        let pattern: [Float] = (0..<(4 * 32 * 32)).map { (i: Int) -> Float in
            let row = i / 32, column = i % 32
            return Float((row + column) % 4)
        }
        let labels = Tensor(shape: [4, 32, 32], scalars: pattern)
        for model in [SplitVGG(split: 3, heads: [DenseTaskHead(task: "segmentation", channels: 4)], width: 0.25) as any MultiTaskModel,
                      SplitRes(split: 2, heads: [DenseTaskHead(task: "segmentation", channels: 4)], width: 0.25)] {
            var p = model.initialParameters(generator: &generator)
            var buffers = model.initialBuffers()
            let sgd = SGD(momentum: 0.9)
            var state = sgd.initialState(for: p)
            var losses: [Float] = []
            for _ in 0..<30 {
                let tracked = p.tracked()
                let sink = BatchNormStatisticsSink()
                let context = ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, statistics: sink)
                let loss = crossEntropy(logits: model.head("segmentation", model.encode(x, context), context), labels: labels)
                losses.append(loss.scalar)
                (p, state) = sgd.step(parameters: p, gradients: grad(of: loss, wrt: tracked), state: state, learningRate: 0.05)
                buffers = sink.updatedBuffers(buffers)
            }
            XCTAssertLessThan(losses.last!, losses.first! * 0.7, "\(type(of: model)) losses \(losses.first!) → \(losses.last!)")
        }
    }
}

final class MultiLeNetTests: XCTestCase {
    func testCountsShapesAndTraining() {
        for side in [28, 36] {
            let model = MultiLeNet(inputSide: side, heads: [("left", 10), ("right", 10)])
            var generator = SeededGenerator(seed: 1)
            var p = model.initialParameters(generator: &generator)
            let flat = side == 28 ? 320 : 720
            XCTAssertEqual(p.shared.scalarCount, 10 * 25 + 10 + 20 * 250 + 20 + flat * 50 + 50)
            XCTAssertEqual(p.head("left").scalarCount, 50 * 50 + 50 + 50 * 10 + 10)
            print("MultiLeNet \(side)×\(side): \(p.scalarCount) parameters")
            let x = Tensor.randomUniform([16, 1, side, side], generator: &generator)
            let labels = Tensor(shape: [16], scalars: (0..<16).map { Float($0 % 10) })
            let sgd = Adam()
            var state = sgd.initialState(for: p)
            var first: Float = 0, last: Float = 0
            for step in 0..<100 {
                let tracked = p.tracked()
                let outputs = model(x, ForwardContext(parameters: tracked, isTraining: true))
                XCTAssertEqual(outputs["left"]!.shape, [16, 10])
                let loss = crossEntropy(logits: outputs["left"]!, labels: labels) + crossEntropy(logits: outputs["right"]!, labels: labels)
                if step == 0 { first = loss.scalar }
                last = loss.scalar
                (p, state) = sgd.step(parameters: p, gradients: grad(of: loss, wrt: tracked), state: state, learningRate: 0.003)
            }
            XCTAssertLessThan(last, first * 0.5)
        }
    }
}
