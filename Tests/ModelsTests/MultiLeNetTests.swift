import XCTest
import TandemCore
import TandemModels

final class MultiLeNetTests: XCTestCase {
    func testParameterCountsAndShapes() {
        for (side, flattened) in [(28, 20 * 4 * 4), (36, 20 * 6 * 6)] {
            let model = MultiLeNet(inputSide: side, heads: [("left", 10), ("right", 10)])
            let parameters = initialParameters(model)
            XCTAssertEqual(parameters.shared.scalarCount, (10 * 25 + 10) + (20 * 10 * 25 + 20) + (flattened * 50 + 50))
            XCTAssertEqual(parameters.head("left").scalarCount, (50 * 50 + 50) + (50 * 10 + 10))
            XCTAssertEqual(parameters.shared.count + parameters.head("left").count + parameters.head("right").count, parameters.count)
            print("MultiLeNet \(side)×\(side), two 10-class heads: \(parameters.scalarCount) parameters")
            let context = ForwardContext(parameters: parameters, isTraining: true)
            let z = model.encode(Tensor.zeros([3, 1, side, side]), context)
            XCTAssertEqual(z.shape, [3, 50])
            XCTAssertEqual(model.head("right", z, context).shape, [3, 10])
        }
        XCTAssertEqual(initialParameters(MultiLeNet(inputSide: 36, heads: [("left", 10), ("right", 10)])).scalarCount, 47_450)
    }

    func testGradientThroughRepresentationEqualsFullBackward() {
        var generator = SeededGenerator(seed: 3)
        let input = Tensor.randomUniform([8, 1, 36, 36], generator: &generator)
        let left = Tensor(shape: [8], scalars: (0..<8).map { Float($0 % 10) })
        let right = Tensor(shape: [8], scalars: (0..<8).map { Float((3 * $0) % 10) })
        let model = MultiLeNet(inputSide: 36, heads: [("left", 10), ("right", 10)])
        assertGradientThroughRepresentationEqualsFullBackward(
            model, input: input,
            losses: ["left": { crossEntropy(logits: $0, labels: left) }, "right": { crossEntropy(logits: $0, labels: right) }],
            label: "MultiLeNet")
    }

    func testTrainingLowersEveryTaskLoss() {
        for side in [28, 36] {
            var generator = SeededGenerator(seed: 1)
            let input = Tensor.randomNormal([16, 1, side, side], generator: &generator)
            let left = Tensor(shape: [16], scalars: (0..<16).map { Float($0 % 10) })
            let right = Tensor(shape: [16], scalars: (0..<16).map { Float((7 * $0 + 3) % 10) })
            let model = MultiLeNet(inputSide: side, heads: [("left", 10), ("right", 10)])
            let (losses, _) = trainOnFixedBatch(
                model, input: input,
                losses: ["left": { crossEntropy(logits: $0, labels: left) }, "right": { crossEntropy(logits: $0, labels: right) }],
                steps: 60, learningRate: 0.03)
            for (task, history) in losses {
                print("MultiLeNet \(side)×\(side) \(task): \(history.first!) → \(history.last!)")
                XCTAssertLessThan(history.last!, 0.5 * history.first!, "MultiLeNet \(side) \(task)")
            }
        }
    }
}
