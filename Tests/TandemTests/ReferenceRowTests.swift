import XCTest
@testable import Tandem

/// Naming the reference row: by value, by `AXIS=VALUE`, and the errors for anything else.
final class ReferenceRowTests: XCTestCase {
    let axes: [(axis: String, values: [String])] = [("strategy", ["ew", "uw", "pcgrad"]), ("model.split", ["1", "2"]), ("seed", ["0", "1"])]

    func testByValueOrByAxisAndValue() throws {
        XCTAssertEqual(try ReferenceRow.resolve("pcgrad", among: axes), ReferenceRow(axis: "strategy", value: "pcgrad"))
        XCTAssertEqual(try ReferenceRow.resolve("model.split=2", among: axes).label, "model.split=2")
        XCTAssertEqual(try ReferenceRow.resolve("2", among: axes).axis, "model.split")
    }

    func testUnknownRowsNameTheNearestValidOnes() {
        XCTAssertThrowsError(try ReferenceRow.resolve("pcgard", among: axes)) { error in
            XCTAssertTrue("\(error)".contains("unknown row 'pcgard' — did you mean 'pcgrad'? (valid: ew, uw, pcgrad, 1, 2)"), "\(error)")
        }
        XCTAssertThrowsError(try ReferenceRow.resolve("strategy=eww", among: axes)) { error in
            XCTAssertTrue("\(error)".contains("unknown strategy row 'eww' — did you mean 'ew'?"), "\(error)")
        }
        XCTAssertThrowsError(try ReferenceRow.resolve("strategyy=ew", among: axes)) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'strategy=ew'?"), "\(error)")
        }
        XCTAssertThrowsError(try ReferenceRow.resolve("0", among: axes), "the seed is not a row") { error in
            XCTAssertTrue("\(error)".contains("unknown row '0'"), "\(error)")
        }
        XCTAssertThrowsError(try ReferenceRow.resolve("ew", among: [("seed", ["0"])])) { error in
            XCTAssertTrue("\(error)".contains("no matrix axis other than seed"), "\(error)")
        }
    }

    func testAValueOfTwoAxesMustNameItsAxis() {
        XCTAssertThrowsError(try ReferenceRow.resolve("1", among: [("strategy.k", ["1", "5"]), ("model.split", ["1", "2"])])) { error in
            XCTAssertTrue("\(error)".contains("write one of strategy.k=1, model.split=1"), "\(error)")
        }
    }
}
