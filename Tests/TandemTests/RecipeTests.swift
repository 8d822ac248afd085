import XCTest
import Foundation
@testable import Tandem

final class RecipeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-recipes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    let valid = """
    name: small
    seed: 3
    dataset: {name: synthetic-scenes, height: 32, width: 48}
    tasks:
      - {name: segmentation, role: primary}
      - {name: depth, role: auxiliary}
    model: {name: splitvgg, split: 3, width: 0.25}
    strategy: pcgrad
    optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, schedule: half_at_midpoint}
    budget: {steps: 20, batch_size: 4}
    evaluation: {every: 10, selection: window, window: 2}

    """

    func testValidRecipe() throws {
        let recipe = try Recipe.load(write("r.yaml", valid))
        XCTAssertEqual(recipe.name, "small")
        XCTAssertEqual(recipe.seed, 3)
        XCTAssertEqual(recipe.output, "runs/small")
        XCTAssertEqual(recipe.strategy.name, "pcgrad")
        XCTAssertEqual(recipe.model.name, "splitvgg")
        XCTAssertEqual(recipe.tasks.map(\.role), [.primary, .auxiliary])
        XCTAssertEqual(recipe.optimizer.momentum, 0.9)
        XCTAssertEqual(recipe.optimizer.schedule(totalSteps: recipe.steps), .halfAtMidpoint(totalSteps: 20))
        XCTAssertNil(recipe.epochs)
        XCTAssertEqual(recipe.selection, .consecutiveWindow(2))
    }

    func assertError(_ text: String, line: Int, column: Int, contains expected: String, file: StaticString = #filePath, testLine: UInt = #line) throws {
        let path = try write("bad.yaml", text)
        XCTAssertThrowsError(try Recipe.load(path), file: file, line: testLine) { error in
            guard let e = error as? RecipeError else { return XCTFail("\(error)", file: file, line: testLine) }
            XCTAssertEqual(e.file, path, file: file, line: testLine)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: testLine)
            XCTAssertEqual(e.column, column, "\(e)", file: file, line: testLine)
            XCTAssertTrue(e.message.contains(expected), "\(e.message)", file: file, line: testLine)
        }
    }

    func testUnknownKeysAreErrorsWithSuggestions() throws {
        try assertError(valid.replacingOccurrences(of: "seed: 3", with: "sede: 3"), line: 2, column: 1, contains: "did you mean 'seed'")
        try assertError(valid.replacingOccurrences(of: "{steps: 20,", with: "{stpes: 20, steps: 20,"), line: 10, column: 10, contains: "did you mean 'steps'")
    }

    func testTypesAndRangesAreChecked() throws {
        try assertError(valid.replacingOccurrences(of: "steps: 20", with: "steps: twenty"), line: 10, column: 17, contains: "budget.steps must be an integer")
        try assertError(valid.replacingOccurrences(of: "momentum: 0.9", with: "momentum: 1.5"), line: 9, column: 55, contains: "optimizer.momentum must be a number in 0.0…0.9999, found 1.5")
        try assertError(valid.replacingOccurrences(of: "role: auxiliary", with: "role: helper"), line: 6, column: 25, contains: "valid: primary, auxiliary")
        try assertError(valid.replacingOccurrences(of: "selection: window", with: "selection: windw"), line: 11, column: 36, contains: "did you mean 'window'")
    }

    func testMissingSectionsAreNamed() throws {
        try assertError(valid.replacingOccurrences(of: "strategy: pcgrad\n", with: ""), line: 1, column: 1, contains: "needs 'strategy'")
        try assertError(valid.replacingOccurrences(of: "role: primary", with: "role: auxiliary"), line: 5, column: 3, contains: "at least one task must have role primary")
    }

    func testYAMLSyntaxErrorsHaveLocations() throws {
        try assertError("dataset: [unclosed\nmodel: x\n", line: 2, column: 6, contains: "YAML")
    }

    func testEpochBudget() throws {
        let recipe = try Recipe.load(write("e.yaml", valid), overrides: ["budget={epochs: 3, batch_size: 4}"])
        XCTAssertEqual(recipe.epochs, 3)
        XCTAssertThrowsError(try Recipe.load(write("b.yaml", valid), overrides: ["budget.epochs=3"])) { error in
            XCTAssertTrue("\(error)".contains("not both"), "\(error)")
        }
    }

    func testOverrides() throws {
        let path = try write("r.yaml", valid)
        let recipe = try Recipe.load(path, overrides: ["budget.steps=7", "strategy.reduction=mean", "seed=11", "labels.parallel_fraction=0.1", "labels.alternate_every=3"])
        XCTAssertEqual(recipe.steps, 7)
        XCTAssertEqual(recipe.seed, 11)
        XCTAssertEqual(recipe.strategy.name, "pcgrad")
        XCTAssertEqual(recipe.alternateEvery, 3)
        guard case let .mapping(options, _)? = recipe.strategy.options else { return XCTFail("no options") }
        XCTAssertEqual(options.map(\.key), ["reduction"])
        XCTAssertThrowsError(try Recipe.load(path, overrides: ["budget.steps=-1"])) { error in
            XCTAssertTrue("\(error)".contains("command line"), "\(error)")
        }
        XCTAssertThrowsError(try Recipe.load(path, overrides: ["nonsense"])) { error in
            XCTAssertTrue("\(error)".contains("key.path=value"), "\(error)")
        }
    }

    func testIncludes() throws {
        _ = try write("base.yaml", valid)
        let child = try write("child.yaml", """
        base: base.yaml
        name: child
        strategy: {name: uw}
        budget: {steps: 50}

        """)
        let recipe = try Recipe.load(child)
        XCTAssertEqual(recipe.name, "child")
        XCTAssertEqual(recipe.strategy.name, "uw")
        XCTAssertEqual(recipe.steps, 50)
        XCTAssertEqual(recipe.batchSize, 4)   // merged from the base
        XCTAssertEqual(recipe.model.name, "splitvgg")

        let loop = try write("loop.yaml", "base: loop.yaml\n")
        XCTAssertThrowsError(try Recipe.load(loop)) { XCTAssertTrue("\($0)".contains("cycle"), "\($0)") }
        let missing = try write("missing.yaml", "base: nowhere.yaml\n")
        XCTAssertThrowsError(try Recipe.load(missing)) { error in
            XCTAssertEqual((error as? RecipeError)?.line, 1)
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }
}
