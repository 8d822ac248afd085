import XCTest
import TandemCore
import TandemModels

final class HeadOutputTests: XCTestCase {
    func testUnitNormalisationMakesEveryPixelAUnitVectorAndRawKeepsTheValues() {
        var generator = SeededGenerator(seed: 2)
        let x = Tensor.randomNormal([2, 3, 4, 5], generator: &generator)
        XCTAssertEqual(HeadOutput.raw.apply(x).scalars, x.scalars)
        let y = HeadOutput.unitNormalised.apply(x)
        XCTAssertEqual(y.shape, x.shape)
        let lengths = (y * y).sum(axes: [1]).scalars
        for length in lengths { XCTAssertEqual(length, 1, accuracy: 1e-5) }
        // Direction kept: y = x / ‖x‖ at one pixel, computed by hand.
        let values = x.scalars, normalised = y.scalars
        let pixel = (0..<3).map { values[$0 * 20 + 7] }
        let length = pixel.map { $0 * $0 }.reduce(0, +).squareRoot()
        for channel in 0..<3 { XCTAssertEqual(normalised[channel * 20 + 7], pixel[channel] / length, accuracy: 1e-6) }
        // N×C inputs (per-sample vectors) as well, and an all-zero output stays finite.
        let rows = HeadOutput.unitNormalised.apply(Tensor(shape: [2, 2], scalars: [3, 4, 0, 0])).scalars
        XCTAssertEqual(rows[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(rows[1], 0.8, accuracy: 1e-6)
        XCTAssertEqual(rows[2], 0)
        XCTAssertEqual(rows[3], 0)
    }

    func testUnitNormalisationGradientIsTheProjectionOffTheOutput() {
        // For L = Σ w·y with y = x/‖x‖: ∂L/∂x = (w − (w·y) y) / ‖x‖ at every pixel.
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([1, 3, 2, 2], generator: &generator).tracked()
        let w = Tensor.randomNormal([1, 3, 2, 2], generator: &generator)
        let y = HeadOutput.unitNormalised.apply(x)
        let gradient = grad(of: (y * w).sum(), wrt: [x])[0].scalars
        let (xs, ys, ws) = (x.scalars, y.scalars, w.scalars)
        for pixel in 0..<4 {
            let indices = (0..<3).map { $0 * 4 + pixel }
            let length = indices.map { xs[$0] * xs[$0] }.reduce(0, +).squareRoot()
            let along = indices.map { ws[$0] * ys[$0] }.reduce(0, +)
            for i in indices { XCTAssertEqual(gradient[i], (ws[i] - along * ys[i]) / length, accuracy: 1e-5) }
        }
    }

    func testDenseTaskHeadsFollowTheTaskKind() {
        XCTAssertEqual(DenseTaskHead(task: "s", kind: .segmentation(classes: 13)), DenseTaskHead(task: "s", channels: 13))
        XCTAssertEqual(DenseTaskHead(task: "d", kind: .depth), DenseTaskHead(task: "d", channels: 1, output: .raw))
        XCTAssertEqual(DenseTaskHead(task: "n", kind: .normals), DenseTaskHead(task: "n", channels: 3, output: .unitNormalised))
        XCTAssertNil(DenseTaskHead(task: "c", kind: .classification(classes: 10)))
        XCTAssertNil(DenseTaskHead(task: "r", kind: .regression(outputs: 2)))
    }

    func testSplitModelsApplyEachHeadsOutputKind() {
        var generator = SeededGenerator(seed: 6)
        let input = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        let heads = [DenseTaskHead(task: "raw", channels: 3), DenseTaskHead(task: "unit", channels: 3, output: .unitNormalised)]
        for model in [SplitVGG(split: 2, heads: heads, width: 0.125) as any MultiTaskModel, SplitRes(split: 4, heads: heads, width: 0.125)] {
            let parameters = initialParameters(model)
            let outputs = model(input, ForwardContext(parameters: parameters, buffers: model.initialBuffers(), isTraining: true))
            let unitLengths = (outputs["unit"]! * outputs["unit"]!).sum(axes: [1]).scalars
            XCTAssertTrue(unitLengths.allSatisfy { abs($0 - 1) < 1e-4 }, "\(type(of: model)) normals head")
            let rawLengths = (outputs["raw"]! * outputs["raw"]!).sum(axes: [1]).scalars
            XCTAssertFalse(rawLengths.allSatisfy { abs($0 - 1) < 1e-4 }, "\(type(of: model)) raw head")
        }
    }
}
