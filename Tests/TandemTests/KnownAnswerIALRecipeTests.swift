import XCTest
@testable import Tandem
import TandemCore

/// The known-answer IAL suite (issue 19): every cell is a valid recipe of the rows its comment
/// promises, in IAL's setting (every image labelled for every task), and Primary only differs
/// from the base only in its task list.
final class KnownAnswerIALRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    func testEveryCellIsAValidRecipeOfTheAdvertisedRows() throws {
        let cells = try Suite.load(recipes.appendingPathComponent("known-answer-ial.yaml").path).cells()
        XCTAssertEqual(cells.count, 8 * 3 * 3 + 3 * 3, "8 strategies and Primary only × 3 relatedness values × 3 seeds")
        var strategies: Set<String> = []
        for cell in cells {
            let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            XCTAssertEqual(recipe.steps, 1600, cell.identifier)
            XCTAssertNil(recipe.parallelFraction, "IAL's setting has every label on every image: \(cell.identifier)")
            guard case let .mapping(entries, _)? = recipe.dataset.options else { return XCTFail(cell.identifier) }
            XCTAssertTrue(["0", "0.5", "1"].contains(entries.first { $0.key == "relatedness" }?.value.canonicalText), cell.identifier)
            if cell.identifier.contains("primary-only") {
                XCTAssertEqual(recipe.tasks.map(\.name), ["segmentation"], cell.identifier)
                XCTAssertEqual(recipe.strategy.name, "ew", cell.identifier)
            } else {
                XCTAssertEqual(recipe.tasks.map { "\($0.name):\($0.role.rawValue)" },
                               ["segmentation:primary", "depth:auxiliary", "normals:auxiliary"], cell.identifier)
                strategies.insert(recipe.strategy.name)
            }
        }
        XCTAssertEqual(strategies, ["ew", "uw", "gcs", "ol-aux", "auto-lambda", "ial"])
    }
}
