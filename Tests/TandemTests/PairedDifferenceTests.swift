import XCTest
@testable import Tandem

/// Paired differences and their intervals, by hand.
final class PairedDifferenceTests: XCTestCase {
    func testThreePairsByHand() throws {
        // Differences [1, 2, 3]: mean 2, s_d = 1, t-interval 2 ± 4.3027·1/√3 (contains 0: no marker).
        let difference = try XCTUnwrap(PairedDifference(row: ["0": 2, "1": 4, "2": 6], reference: ["0": 1, "1": 2, "2": 3], order: ["0", "1", "2"]))
        XCTAssertEqual(difference.differences, [1, 2, 3])
        XCTAssertEqual(difference.mean, 2)
        XCTAssertEqual(difference.standardDeviation!, 1, accuracy: 1e-15)
        let halfWidth = 4.302652729749464 / 3.0.squareRoot()
        XCTAssertEqual(difference.tInterval!.lowerBound, 2 - halfWidth, accuracy: 1e-9)
        XCTAssertEqual(difference.tInterval!.upperBound, 2 + halfWidth, accuracy: 1e-9)
        XCTAssertFalse(difference.tExcludesZero)
        // Row sd 2, reference sd 1: pooled √((4 + 1)/2), so 2 / √2.5 sd.
        XCTAssertEqual(difference.inPooledStandardDeviations!, 2 / 2.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(difference.formatted(decimals: 2), "+2.00 [-0.48, +4.48]")
        // Every bootstrap mean lies between the smallest and the largest difference.
        let bootstrap = try XCTUnwrap(difference.bootstrapInterval)
        XCTAssertTrue(bootstrap.lowerBound >= 1 && bootstrap.upperBound <= 3, "\(bootstrap)")
    }

    func testOnlySeedsBothRanArePaired() throws {
        let difference = try XCTUnwrap(PairedDifference(row: ["0": 1, "1": 5, "2": 7, "3": 9], reference: ["1": 4, "2": 4, "3": 4, "4": 0],
                                                        order: ["3", "2", "1", "0"]))
        XCTAssertEqual(difference.seeds, ["3", "2", "1"])
        XCTAssertEqual(difference.differences, [5, 3, 1])
        XCTAssertNil(PairedDifference(row: ["0": 1], reference: ["1": 1], order: ["0"]))
        XCTAssertNil(PairedDifference(row: ["0": .nan], reference: ["0": 1], order: ["0"]))
    }

    func testOnePairHasADifferenceButNoInterval() throws {
        let difference = try XCTUnwrap(PairedDifference(row: ["0": 0.75, "1": 0.9], reference: ["0": 0.25], order: ["0", "1"]))
        XCTAssertEqual(difference.count, 1)
        XCTAssertEqual(difference.mean, 0.5)
        XCTAssertNil(difference.standardDeviation)
        XCTAssertNil(difference.tInterval)
        XCTAssertNil(difference.bootstrapInterval)
        XCTAssertNil(difference.inPooledStandardDeviations)
        XCTAssertFalse(difference.tExcludesZero)
        XCTAssertEqual(difference.formatted(decimals: 4), "+0.5000 (1 pair, no interval)")
    }

    func testEqualDifferencesGiveADegenerateIntervalThatExcludesZero() throws {
        let difference = try XCTUnwrap(PairedDifference(row: ["0": 1.5, "1": 2.5], reference: ["0": 2, "1": 3], order: ["0", "1"]))
        XCTAssertEqual(difference.tInterval, -0.5 ... -0.5)
        XCTAssertEqual(difference.bootstrapInterval, -0.5 ... -0.5)
        XCTAssertTrue(difference.tExcludesZero)
        XCTAssertTrue(difference.bootstrapExcludesZero)
        XCTAssertEqual(difference.formatted(decimals: 1), "-0.5 [-0.5, -0.5]*")
        // Both rows with the same spread: the pooled sd is that spread.
        XCTAssertEqual(difference.inPooledStandardDeviations!, -0.5 / (0.5 * 2.0.squareRoot()), accuracy: 1e-12)
        // No spread in either row: no size in sd.
        XCTAssertNil(PairedDifference(row: ["0": 1, "1": 1], reference: ["0": 0, "1": 0], order: ["0", "1"])!.inPooledStandardDeviations)
    }
}
