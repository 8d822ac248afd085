import XCTest
@testable import Tandem

/// The seeded percentile bootstrap: deterministic, and right where it can be worked out by hand.
final class PercentileBootstrapTests: XCTestCase {
    func testEqualValuesGiveADegenerateInterval() {
        XCTAssertEqual(PercentileBootstrap().interval(ofMeanOf: [0.25, 0.25, 0.25]), 0.25...0.25)
    }

    func testTwoValuesByHand() {
        // Resampling [0, 1]: the mean is 0 (p = ¼), ½ (p = ½) or 1 (p = ¼); with 10 000 resamples about
        // 2 500 are 0 and 2 500 are 1, so the 251st smallest is 0 and the 251st largest is 1.
        XCTAssertEqual(PercentileBootstrap().interval(ofMeanOf: [0, 1]), 0...1)
        // Three values: the extreme means (all one value) have p = 1/27 each, above 2.5 %: the interval is [0, 3].
        XCTAssertEqual(PercentileBootstrap().interval(ofMeanOf: [0, 1.5, 3]), 0...3)
    }

    func testDeterministicAndIndependentOfCallOrder() {
        let a = [0.13, 1.7, 2.9, 4.41, 7.0], b = [-0.2, 0.05, 0.11, 0.3]
        let first = PercentileBootstrap().interval(ofMeanOf: a)
        let other = PercentileBootstrap().interval(ofMeanOf: b)
        XCTAssertEqual(PercentileBootstrap().interval(ofMeanOf: b), other)
        XCTAssertEqual(PercentileBootstrap().interval(ofMeanOf: a), first)
        // Inside the range of the values, around the mean.
        let interval = try! XCTUnwrap(first)
        XCTAssertTrue(interval.lowerBound > 0.13 && interval.upperBound < 7.0 && interval.contains(a.reduce(0, +) / 5), "\(interval)")
        // The seed is what fixes the resamples.
        XCTAssertNotEqual(PercentileBootstrap(seed: 1).interval(ofMeanOf: a), first)
    }

    func testOneValueHasNoInterval() {
        XCTAssertNil(PercentileBootstrap().interval(ofMeanOf: [3]))
        XCTAssertNil(PercentileBootstrap().interval(ofMeanOf: []))
    }
}
