import XCTest
@testable import Tandem
import TandemCore

/// `recipes/known-answer-it.yaml` (issue 19): IT-MTL's rows on the planted task groups are valid
/// recipes on the affinity benchmark's data and budget, and its candidate subsets are the planted
/// groups and the cross-group triples.
final class KnownAnswerITRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    func testEveryCellIsAValidRecipeOnThePlantedGroups() throws {
        let suite = try Suite.load(recipes.appendingPathComponent("known-answer-it.yaml").path)
        let cells = try suite.cells()
        XCTAssertEqual(cells.filter { $0.baselineTask == nil }.count, 5 * 3)
        XCTAssertEqual(cells.filter { $0.baselineTask != nil }.count, 9 * 3, "a single-task baseline per task and seed")
        let base = try Recipe.load(recipes.appendingPathComponent("known-answer-affinity-base.yaml").path)
        var strategies: [String] = []
        for cell in cells {
            let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            XCTAssertEqual(recipe.steps, base.steps, cell.identifier)
            XCTAssertEqual(recipe.dataset.name, "task-groups", cell.identifier)
            if cell.baselineTask == nil, cell.identifier.hasSuffix("seed=0") { strategies.append(recipe.strategy.name) }
        }
        XCTAssertEqual(strategies, ["ew", "pcgrad", "it", "it", "it"])
        let subsets = try XCTUnwrap(cells.first { $0.identifier.contains("subsets") })
        let recipe = try Recipe.load(subsets.recipePath, overrides: subsets.overrides)
        let text = try XCTUnwrap(recipe.strategy.options?.canonicalText)
        XCTAssertTrue(text.contains("[[a1, a2, a3], [b1, b2, b3], [c1, c2, c3], [a1, b1, c1], [a2, b2, c2], [a3, b3, c3]]"), text)
    }
}
