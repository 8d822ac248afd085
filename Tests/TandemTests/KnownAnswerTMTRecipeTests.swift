import XCTest
@testable import Tandem
import TandemCore

/// The known-answer TMT suites (issue 19): every cell is a valid recipe, the rows and settings are
/// the ones their comments promise, and the harmful suite differs from the base only in what the
/// auxiliary targets show.
final class KnownAnswerTMTRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    func recipes(of suite: String) throws -> [(Suite.Cell, Recipe)] {
        try Suite.load(recipes.appendingPathComponent(suite).path).cells().map { cell in
            (cell, try Recipe.load(cell.recipePath, overrides: cell.overrides))
        }
    }

    /// A dataset option as the recipe writes it (canonical YAML text), nil when it does not.
    func datasetOption(_ recipe: Recipe, _ key: String) -> String? {
        guard case let .mapping(entries, _)? = recipe.dataset.options else { return nil }
        return entries.first { $0.key == key }?.value.canonicalText
    }

    func testEveryCellIsAValidRecipeOfTheAdvertisedRows() throws {
        let cells = try recipes(of: "known-answer-tmt.yaml")
        XCTAssertEqual(cells.count, 5 * 3 * 3 + 3 * 3 + 3 * 3, "5 strategies, Primary only and Oracle × 3 relatedness values × 3 seeds")
        for (cell, recipe) in cells {
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            XCTAssertEqual(recipe.steps, 1600, cell.identifier)
            XCTAssertTrue(["0", "0.5", "1"].contains(datasetOption(recipe, "relatedness")), cell.identifier)
            XCTAssertNil(datasetOption(recipe, "auxiliary_targets"), cell.identifier)
            if cell.identifier.contains("primary-only") {
                XCTAssertEqual(recipe.tasks.map(\.name), ["segmentation"], cell.identifier)
            } else {
                XCTAssertEqual(recipe.tasks.map(\.name), ["segmentation", "depth", "normals"], cell.identifier)
            }
        }
        XCTAssertEqual(Set(cells.map { $0.1.strategy.name }), ["ew", "uw", "gcs", "ol-aux", "tmt"])
    }

    func testTheHarmfulSuiteChangesOnlyTheAuxiliaryTargets() throws {
        let cells = try recipes(of: "known-answer-tmt-harmful.yaml")
        XCTAssertEqual(cells.count, 5 * 3 + 3)
        for (cell, recipe) in cells {
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            XCTAssertEqual(datasetOption(recipe, "relatedness"), "1", cell.identifier)
            let expected = cell.identifier.contains("primary-only") ? nil : "unrelated"
            XCTAssertEqual(datasetOption(recipe, "auxiliary_targets"), expected, cell.identifier)
        }
        // Its EW row is the base recipe with the auxiliary targets changed, nothing else.
        let base = try Recipe.load(recipes.appendingPathComponent("known-answer-tmt-base.yaml").path,
                                   overrides: ["dataset.auxiliary_targets=unrelated"])
        let ew = try XCTUnwrap(cells.first { $0.1.strategy.name == "ew" && $0.0.identifier.contains("seed=0") })
        XCTAssertEqual(RecipeFingerprint.text(ew.1), RecipeFingerprint.text(base))
    }
}
