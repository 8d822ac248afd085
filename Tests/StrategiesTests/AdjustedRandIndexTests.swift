import XCTest
@testable import TandemStrategies

/// The adjusted Rand index (Hubert & Arabie 1985) on partitions whose values are worked out by hand
/// from the contingency table.
final class AdjustedRandIndexTests: XCTestCase {
    func ari(_ first: [Int], _ second: [Int]) throws -> Double { try AdjustedRandIndex.between(first, second) }

    func testIdenticalPartitionsScoreOneWhateverTheLabels() throws {
        XCTAssertEqual(try ari([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 1, 2, 2, 2]), 1)
        XCTAssertEqual(try ari([0, 0, 0, 1, 1, 1, 2, 2, 2], [7, 7, 7, 3, 3, 3, 5, 5, 5]), 1)  // relabelled
        XCTAssertEqual(try AdjustedRandIndex.between(["x", "y", "x"], [2, 9, 2]), 1)
    }

    /// [0,0,0,1,1,1] against [0,0,1,1,2,2]: cells 2,1 / 1,2 give Σ C(n,2) = 2; rows 3,3 give 6 pairs,
    /// columns 2,2,2 give 3, of C(6,2) = 15: expected 6·3/15 = 1.2, maximum 4.5, ARI = 0.8/3.3 = 8/33.
    func testAFractionalCaseByHand() throws {
        XCTAssertEqual(try ari([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 8.0 / 33.0, accuracy: 1e-12)
        // Symmetric in its arguments.
        XCTAssertEqual(try ari([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1]), 8.0 / 33.0, accuracy: 1e-12)
        // [0,0,1,1] against [0,0,1,2]: index 1, rows 2, columns 1, of 6: expected 1/3, maximum 3/2 → 4/7.
        XCTAssertEqual(try ari([0, 0, 1, 1], [0, 0, 1, 2]), 4.0 / 7.0, accuracy: 1e-12)
    }

    func testUnrelatedAndOppositePartitions() throws {
        // All singletons against one group: index 0, expected 0, maximum 3 → 0.
        XCTAssertEqual(try ari([0, 1, 2, 3], [0, 0, 0, 0]), 0)
        // Crossed pairs: index 0, expected 2·2/6 = 2/3, maximum 2 → −1/2 (worse than chance).
        XCTAssertEqual(try ari([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, accuracy: 1e-12)
        // One task moved to another group: cells 3 / 2, 1 / 3 give Σ C(n,2) = 3+1+3 = 7; rows 9; columns 3+1+6 = 10;
        // expected 90/36 = 2.5, maximum 9.5 → 4.5/7 = 9/14.
        XCTAssertEqual(try ari([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 2, 2, 2, 2]), 9.0 / 14.0, accuracy: 1e-12)
    }

    func testDegenerateCasesAreIdenticalPartitions() throws {
        XCTAssertEqual(try ari([0, 0, 0], [4, 4, 4]), 1)  // both one group
        XCTAssertEqual(try ari([0, 1, 2], [2, 0, 1]), 1)  // both all singletons
        XCTAssertEqual(try ari([5], [1]), 1)
        XCTAssertEqual(try ari([], []), 1)
    }

    func testGroupingsByTaskName() throws {
        let tasks = ["a1", "a2", "b1", "b2"]
        XCTAssertEqual(try AdjustedRandIndex.between([["b2", "b1"], ["a1", "a2"]], [["a1", "a2"], ["b1", "b2"]], tasks: tasks), 1)
        XCTAssertEqual(try AdjustedRandIndex.between([["a1", "b1"], ["a2", "b2"]], [["a1", "a2"], ["b1", "b2"]], tasks: tasks), -0.5, accuracy: 1e-12)
        // Names outside `tasks` are ignored (a recipe training some of a data set's tasks).
        XCTAssertEqual(try AdjustedRandIndex.labels([["a1", "a2", "a3"], ["b1", "b2"]], tasks: tasks), [0, 0, 1, 1])
    }

    func testMismatchedInputsThrow() {
        XCTAssertThrowsError(try ari([0, 1], [0])) { error in
            XCTAssertEqual(error as? StrategyMathError,
                           .lengthMismatch(function: "AdjustedRandIndex", argument: "second labeling", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try AdjustedRandIndex.labels([["a1"]], tasks: ["a1", "b1"])) { error in
            XCTAssertTrue("\(error)".contains("task b1 is in no group of the grouping"), "\(error)")
        }
        XCTAssertThrowsError(try AdjustedRandIndex.labels([["a1"], ["a1", "b1"]], tasks: ["a1", "b1"])) { error in
            XCTAssertTrue("\(error)".contains("task a1 is in two groups of the grouping"), "\(error)")
        }
    }
}
