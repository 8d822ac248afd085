import XCTest
import TandemCore
import TandemModels

final class MLPTests: XCTestCase {
    func testShapesNamesAndSplit() {
        let model = MLP(inputSize: 4, sharedWidths: [8, 6], heads: [("a", [5, 3]), ("b", [1])])
        var generator = SeededGenerator(seed: 3)
        let p = model.initialParameters(generator: &generator)
        XCTAssertEqual(p.shared.scalarCount, 4 * 8 + 8 + 8 * 6 + 6)
        XCTAssertEqual(p.head("a").scalarCount, 6 * 5 + 5 + 5 * 3 + 3)
        XCTAssertEqual(p.head("b").scalarCount, 6 + 1)
        XCTAssertEqual(p.shared.count + p.head("a").count + p.head("b").count, p.count)
        let outputs = model(Tensor.zeros([2, 4]), ForwardContext(parameters: p, isTraining: true))
        XCTAssertEqual(outputs["a"]?.shape, [2, 3])
        XCTAssertEqual(outputs["b"]?.shape, [2, 1])
    }
}
