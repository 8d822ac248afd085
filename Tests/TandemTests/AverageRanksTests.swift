import XCTest
@testable import Tandem

final class AverageRanksTests: XCTestCase {
    func testTiesShareTheMeanOfTheirRanks() {
        XCTAssertEqual(AverageRanks.ranks(of: [0.9, 0.7, 0.7, 0.5], higherIsBetter: true), [1, 2.5, 2.5, 4])
        XCTAssertEqual(AverageRanks.ranks(of: [0.9, 0.7, 0.7, 0.5], higherIsBetter: false), [4, 2.5, 2.5, 1])
        XCTAssertEqual(AverageRanks.ranks(of: [2, 5, 2, 2], higherIsBetter: false), [2, 4, 2, 2])
        XCTAssertEqual(AverageRanks.ranks(of: [3, 1, 2], higherIsBetter: true), [1, 3, 2])
        XCTAssertEqual(AverageRanks.ranks(of: [], higherIsBetter: true), [])
    }
}
