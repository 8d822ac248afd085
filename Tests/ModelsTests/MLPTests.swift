import XCTest
import TandemCore
import TandemModels

final class MLPTests: XCTestCase {
    func testShapesNamesAndSplit() {
        let model = MLP(inputSize: 4, sharedWidths: [8, 6], heads: [("a", [5, 3]), ("b", [1])])
        let parameters = initialParameters(model, seed: 3)
        XCTAssertEqual(parameters.shared.scalarCount, 4 * 8 + 8 + 8 * 6 + 6)
        XCTAssertEqual(parameters.head("a").scalarCount, 6 * 5 + 5 + 5 * 3 + 3)
        XCTAssertEqual(parameters.head("b").scalarCount, 6 + 1)
        XCTAssertEqual(parameters.shared.count + parameters.head("a").count + parameters.head("b").count, parameters.count)
        let context = ForwardContext(parameters: parameters, isTraining: true)
        XCTAssertEqual(model.encode(Tensor.zeros([2, 2, 2]), context).shape, [2, 6], "inputs are flattened")
        let outputs = model(Tensor.zeros([2, 4]), context)
        XCTAssertEqual(outputs["a"]?.shape, [2, 3])
        XCTAssertEqual(outputs["b"]?.shape, [2, 1])
    }

    func regressionProblem() -> (input: Tensor, losses: [String: (Tensor) -> Tensor]) {
        var generator = SeededGenerator(seed: 9)
        let input = Tensor.randomNormal([32, 4], generator: &generator)
        let x = input.scalars
        let first = Tensor(shape: [32, 1], scalars: (0..<32).map { x[4 * $0] * x[4 * $0 + 1] + 0.5 * x[4 * $0 + 2] })
        let second = Tensor(shape: [32, 2], scalars: (0..<64).map { i in i % 2 == 0 ? abs(x[4 * (i / 2) + 3]) : x[4 * (i / 2)] - x[4 * (i / 2) + 2] })
        func meanSquare(_ target: Tensor) -> (Tensor) -> Tensor { { let d = $0 - target; return (d * d).mean() } }
        return (input, ["first": meanSquare(first), "second": meanSquare(second)])
    }

    func testGradientThroughRepresentationEqualsFullBackward() {
        let (input, losses) = regressionProblem()
        let model = MLP(inputSize: 4, sharedWidths: [16, 16], heads: [("first", [8, 1]), ("second", [2])])
        assertGradientThroughRepresentationEqualsFullBackward(model, input: input, losses: losses, label: "MLP")
    }

    func testTrainingLowersEveryTaskLoss() {
        let (input, losses) = regressionProblem()
        let model = MLP(inputSize: 4, sharedWidths: [32, 32], heads: [("first", [16, 1]), ("second", [2])])
        let (history, _) = trainOnFixedBatch(model, input: input, losses: losses, steps: 60, learningRate: 0.02)
        for (task, values) in history {
            print("MLP \(task): \(values.first!) → \(values.last!)")
            XCTAssertLessThan(values.last!, 0.5 * values.first!, "MLP \(task)")
        }
    }
}
