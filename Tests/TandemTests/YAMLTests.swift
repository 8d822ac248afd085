import XCTest
@testable import Tandem

final class YAMLTests: XCTestCase {
    func testParsesNestedDocumentsWithLocations() throws {
        let text = """
        model:
          name: splitvgg
          split: 3
        seeds: [0, 1]
        """
        let node = try YAMLNode.parse(text, file: "r.yaml")
        guard case let .mapping(entries, _) = node else { return XCTFail("not a mapping") }
        XCTAssertEqual(entries.map(\.key), ["model", "seeds"])
        XCTAssertEqual(entries[1].keyLocation, SourceLocation(file: "r.yaml", line: 4, column: 1))
        guard case let .mapping(model, _) = entries[0].value, case let .scalar(split, location, _) = model[1].value else { return XCTFail() }
        XCTAssertEqual(split, "3")
        XCTAssertEqual(location, SourceLocation(file: "r.yaml", line: 3, column: 10))
    }

    func testSyntaxErrorNamesLineAndColumn() {
        XCTAssertThrowsError(try YAMLNode.parse("a: [1, 2\nb: 3\n", file: "bad.yaml")) { error in
            let e = error as! RecipeError
            XCTAssertEqual(e.file, "bad.yaml")
            XCTAssertEqual(e.line, 2)
            XCTAssertTrue(e.description.hasPrefix("bad.yaml:2:"))
        }
    }

    func testDuplicateKeysAreErrors() {
        XCTAssertThrowsError(try YAMLNode.parse("a: 1\na: 2\n", file: "d.yaml")) { error in
            XCTAssertEqual((error as! RecipeError).line, 2)
        }
    }

    func testOptionsAreCheckedWithSuggestions() throws {
        let specs = [OptionSpec("alpha", .number(0...10), default: .number(1.5), "asymmetry"),
                     OptionSpec("reduction", .choice(["sum", "mean"]), default: .text("sum"), "reduction")]
        let good = try Options.parse(YAMLNode.parse("alpha: 2", file: "o.yaml"), specs: specs, owner: "gradnorm")
        XCTAssertEqual(good.number("alpha"), 2)
        XCTAssertEqual(good.text("reduction"), "sum")
        XCTAssertThrowsError(try Options.parse(YAMLNode.parse("alpah: 2", file: "o.yaml"), specs: specs, owner: "gradnorm")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'alpha'"), "\(error)")
            XCTAssertEqual((error as! RecipeError).column, 1)
        }
        XCTAssertThrowsError(try Options.parse(YAMLNode.parse("alpha: 20", file: "o.yaml"), specs: specs, owner: "gradnorm")) { error in
            XCTAssertTrue("\(error)".contains("gradnorm.alpha must be a number in 0.0…10.0, found 20"), "\(error)")
            XCTAssertEqual((error as! RecipeError).column, 8)
        }
        XCTAssertThrowsError(try Options.parse(YAMLNode.parse("reduction: mena", file: "o.yaml"), specs: specs, owner: "ew")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'mean'"), "\(error)")
        }
    }

    func testNearestName() {
        XCTAssertEqual(NameSuggestion.nearest(to: "pcgard", in: ["pcgrad", "mgda", "uw"]), "pcgrad")
        XCTAssertNil(NameSuggestion.nearest(to: "completely-different", in: ["pcgrad", "mgda"]))
    }
}
