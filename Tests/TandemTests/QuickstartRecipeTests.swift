import XCTest
@testable import Tandem

/// The main job's suites: `quickstart.yaml` (make run) and its budget check.
final class QuickstartRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    func cells(_ file: String) throws -> [Suite.Cell] {
        try Suite.load(recipes.appendingPathComponent(file).path).cells()
    }

    /// Every cell of both suites is a valid recipe: the quickstart's 15 strategies × 3 seeds plus
    /// 3 single-task baselines × 3 seeds, the check's 3 tasks × 2 budgets × 3 seeds.
    func testEveryCellIsAValidRecipe() throws {
        let quickstart = try cells("quickstart.yaml"), check = try cells("quickstart-budget-check.yaml")
        XCTAssertEqual(quickstart.count, 15 * 3 + 3 * 3)
        XCTAssertEqual(check.count, 3 * 2 * 3)
        for cell in quickstart + check {
            XCTAssertNoThrow(try Experiment.check(Recipe.load(cell.recipePath, overrides: cell.overrides)), cell.identifier)
        }
    }

    /// The check's 1× cells are the quickstart's single-task baseline cells — the same recipe, so
    /// the same numbers — and its 4× cells differ from them in the budget only.
    func testTheBudgetCheckComparesTheQuickstartBaselinesWithFourTimesTheirBudget() throws {
        let baselines = try cells("quickstart.yaml").filter { $0.baselineTask != nil }
        let check = try cells("quickstart-budget-check.yaml")
        XCTAssertEqual(baselines.count, 9)
        for baseline in baselines {
            let recipe = try Recipe.load(baseline.recipePath, overrides: baseline.overrides)
            let matching = try check.filter { cell in
                let candidate = try Recipe.load(cell.recipePath, overrides: cell.overrides)
                return candidate.tasks.map(\.name) == recipe.tasks.map(\.name) && candidate.seed == recipe.seed
            }
            XCTAssertEqual(matching.count, 2, baseline.identifier)
            let recipes = try matching.map { try Recipe.load($0.recipePath, overrides: $0.overrides) }
            guard let short = recipes.first(where: { $0.steps == recipe.steps }),
                  let long = recipes.first(where: { $0.steps == 4 * recipe.steps }) else {
                return XCTFail("\(baseline.identifier): no 1× and 4× cells in the check")
            }
            XCTAssertEqual(RecipeFingerprint.text(short), RecipeFingerprint.text(recipe), baseline.identifier)
            let stretched = try Recipe.load(baseline.recipePath, overrides: baseline.overrides + ["budget.steps=\(4 * recipe.steps)"])
            XCTAssertEqual(RecipeFingerprint.text(long), RecipeFingerprint.text(stretched), baseline.identifier)
        }
    }
}
