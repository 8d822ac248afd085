import XCTest
@testable import TandemCore

/// `DistributedTaskGradients` in one process: the folded rows, their Gram matrix and the
/// combination are the bits of the whole gradients' (`GramMatrix`, the trainer's combination).
/// Over several processes the same is checked end to end by `MultiProcessTests`.
final class DistributedTaskGradientsTests: XCTestCase {
    func testFoldedRowsGiveTheWholeGradientsGramAndCombination() {
        var generator = SeededGenerator(seed: 5)
        let shapes = [[3, 2], [5], [1]]
        // Two tasks, three micro-batches: rows[t][k] stacks the micro-batches' parts.
        let rows = (0..<2).map { _ in shapes.map { Tensor.randomNormal([3] + $0, generator: &generator) } }
        let spread = DistributedTaskGradients(rows: rows, rowCounts: [3], names: ["a", "b", "c"], shapes: shapes, group: SingleProcess())
        let whole = rows.map { task in zip(task, shapes).map { stacked, shape in
            ((stacked.slice(axis: 0, range: 0..<1) + stacked.slice(axis: 0, range: 1..<2)) + stacked.slice(axis: 0, range: 2..<3)).reshaped(shape)
        } }
        for task in 0..<2 {
            for k in 0..<3 { XCTAssertEqual(spread.gradients[task][k]!.scalars, whole[task][k].scalars) }
        }
        XCTAssertEqual(spread.gram, GramMatrix.of(whole))
        let weights: [Float] = [0.3, -1.7]
        let expected = Parameters(zip(["a", "b", "c"], whole[0]).map { ($0, $1) }) * weights[0]
            + Parameters(zip(["a", "b", "c"], whole[1]).map { ($0, $1) }) * weights[1]
        let combined = spread.combination(weights)
        for name in ["a", "b", "c"] { XCTAssertEqual(combined[name].scalars, expected[name].scalars, name) }
    }

    func testTensorsGoToTheLeastLoadedRankInOrder() {
        XCTAssertEqual(DistributedTaskGradients.owners(of: [100, 10, 10, 50, 5], ranks: 2), [0, 1, 1, 1, 1])
        XCTAssertEqual(DistributedTaskGradients.owners(of: [4, 4, 4], ranks: 3), [0, 1, 2])
        XCTAssertEqual(DistributedTaskGradients.owners(of: [4, 4], ranks: 1), [0, 0])
    }
}
