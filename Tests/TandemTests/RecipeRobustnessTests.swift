import XCTest
import Foundation
@testable import Tandem

/// Hostile or mistaken recipes and overrides: each is a `file:line:column` error, never a crash,
/// and nothing written is silently ignored.
final class RecipeRobustnessTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-robust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ text: String, name: String = "r.yaml") throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    let base = """
    dataset: {name: synthetic-scenes, train: 8, validation: 4, test: 4, height: 32, width: 32}
    tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}]
    model: {name: splitvgg, split: 3, width: 0.05}
    strategy: ew
    optimizer: {name: sgd, learning_rate: 0.05}
    budget: {steps: 2, batch_size: 2}

    """

    func assertRecipeError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a RecipeError mentioning \(fragments)", file: file, line: line)
        } catch let error as RecipeError {
            for fragment in fragments { XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line) }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testYAMLNested40000DeepIsAnErrorWithALocation() throws {
        let deep = try write("a: " + String(repeating: "[", count: 40_000) + String(repeating: "]", count: 40_000) + "\n")
        assertRecipeError(["r.yaml:1:", "nest deeper than 64"]) { _ = try RecipeDocument.load(deep) }
        let mappings = try write((0..<100).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n", name: "m.yaml")
        assertRecipeError(["m.yaml:65:", "nest deeper"]) { _ = try RecipeDocument.load(mappings) }
        // 64 levels still read.
        let fine = try write("a: " + String(repeating: "[", count: 63) + "1" + String(repeating: "]", count: 63) + "\n", name: "ok.yaml")
        XCTAssertNoThrow(try RecipeDocument.load(fine))
    }

    func testOverridePathWith50000PartsIsAnError() throws {
        let recipe = try write(base)
        let path = Array(repeating: "a", count: 50_000).joined(separator: ".")
        assertRecipeError(["50000 parts", "at most 16"]) { _ = try Recipe.load(recipe, overrides: ["\(path)=1"]) }
        assertRecipeError(["empty part"]) { _ = try Recipe.load(recipe, overrides: ["budget..steps=3"]) }
        XCTAssertEqual(try Recipe.load(recipe, overrides: ["budget.steps=3"]).steps, 3)
    }

    func testExtraLinesInsideAnOverrideAreAnError() throws {
        let recipe = try write(base)
        assertRecipeError(["continues on another line", "budget: 3"]) { _ = try Recipe.load(recipe, overrides: ["seed=1\nbudget: 3"]) }
        assertRecipeError(["another line"]) { _ = try Recipe.load(recipe, overrides: ["seed=1\r\nseed: 2"]) }
        XCTAssertEqual(try Recipe.load(recipe, overrides: ["seed=4"]).seed, 4)
    }

    func testScheduleSettingsWithoutTheirScheduleAreErrors() throws {
        let recipe = try write(base)
        assertRecipeError(["optimizer.milestones only applies to `schedule: stepwise`"]) { _ = try Recipe.load(recipe, overrides: ["optimizer.milestones=[10]"]) }
        assertRecipeError(["optimizer.factor"]) { _ = try Recipe.load(recipe, overrides: ["optimizer.factor=0.1"]) }
        assertRecipeError(["optimizer.minimum only applies to `schedule: cosine`"]) {
            _ = try Recipe.load(recipe, overrides: ["optimizer.minimum=0.001", "optimizer.schedule=half_at_midpoint"])
        }
        let stepwise = try Recipe.load(recipe, overrides: ["optimizer.schedule=stepwise", "optimizer.milestones=[1]", "optimizer.factor=0.2"])
        XCTAssertEqual(stepwise.optimizer.scheduleSpecification, .stepwise(milestones: [1], factor: 0.2))
        // heads_optimizer inherits stepwise: its own milestones refine it instead of being dropped.
        let inherited = try Recipe.load(recipe, overrides: ["optimizer.schedule=stepwise", "optimizer.milestones=[1]", "heads_optimizer.milestones=[5]"])
        XCTAssertEqual(inherited.headsOptimizer.scheduleSpecification, .stepwise(milestones: [5], factor: 0.5))
    }

    func testLabelsNeedAnAuxiliaryTask() throws {
        let recipe = try write(base + "labels: {parallel_fraction: 0.5, alternate_every: 2}\n")
        assertRecipeError(["r.yaml:7:9", "labels", "role auxiliary"]) { _ = try Recipe.load(recipe, overrides: ["tasks=[segmentation]"]) }
        XCTAssertNoThrow(try Recipe.load(recipe))
    }

    func testEmptyOutputIsAnError() throws {
        let recipe = try write(base)
        assertRecipeError(["output must be a folder path"]) { _ = try Recipe.load(recipe, overrides: ["output=''"]) }
    }

    func testMLPOnScenesIsAnErrorNamingTheTask() throws {
        let recipe = try write(base)
        assertRecipeError(["mlp", "segmentation", "per-pixel"]) { _ = try Experiment(recipe: Recipe.load(recipe, overrides: ["model=mlp"])) }
    }

    func testSplitVGGBlocksMustHoldTheSplitAndDivideTheImage() throws {
        let recipe = try write(base)
        assertRecipeError(["splitvgg", "split 3", "blocks: 2"]) {
            _ = try Experiment(recipe: Recipe.load(recipe, overrides: ["model.blocks=2"]))
        }
        assertRecipeError(["splitvgg", "3 blocks", "divisible by 8", "[3, 36, 32]"]) {
            _ = try Experiment(recipe: Recipe.load(recipe, overrides: ["model.blocks=3", "dataset.height=36"]))
        }
        XCTAssertNoThrow(try Experiment(recipe: Recipe.load(recipe, overrides: ["model.blocks=3", "dataset.height=40"])))
    }

    /// 20,000 keys took 15 s when the reader appended by copying; the builder now appends in place
    /// (checked functionally here — tests never assert timings).
    func testLargeMappingsReadCompletely() throws {
        let count = 20_000
        let text = "options:\n" + (0..<count).map { "  key\($0): \($0)" }.joined(separator: "\n") + "\n"
        let node = try YAMLNode.parse(text, file: "big.yaml")
        guard case let .mapping(entries, _) = node, case let .mapping(options, _)? = entries.first?.value else { return XCTFail("not a mapping") }
        XCTAssertEqual(options.count, count)
        XCTAssertEqual(options[12_345].key, "key12345")
        XCTAssertEqual(options[12_345].keyLocation.line, 12_347)
        let duplicated = text + "  key7: 1\n"
        XCTAssertThrowsError(try YAMLNode.parse(duplicated, file: "big.yaml")) { error in
            XCTAssertTrue("\(error)".contains("big.yaml:\(count + 2):3: error: key 'key7' appears twice"), "\(error)")
        }
        let merged = RecipeDocument.merge(base: node, over: node)
        guard case let .mapping(top, _) = merged, case let .mapping(mergedOptions, _)? = top.first?.value else { return XCTFail("not a mapping") }
        XCTAssertEqual(mergedOptions.count, count)
    }

    func testFingerprintIgnoresLayoutAndNamesChangedSections() throws {
        let a = try Recipe.load(try write(base, name: "a.yaml"))
        let b = try Recipe.load(try write(base.replacingOccurrences(of: "strategy: ew", with: "strategy: {name: ew}")
                                              .replacingOccurrences(of: "budget: {steps: 2, batch_size: 2}", with: "budget:\n  batch_size: 2\n  steps: 2")
                                          + "name: other\noutput: elsewhere\ncheckpoint_every: 5\n", name: "b.yaml"))
        XCTAssertEqual(a.fingerprint, b.fingerprint)
        let c = try Recipe.load(try write(base, name: "c.yaml"), overrides: ["optimizer.name=adam"])
        XCTAssertEqual(Set(a.fingerprint.keys.filter { a.fingerprint[$0] != c.fingerprint[$0] }), ["optimizer"])
    }
}
