import XCTest
@testable import Tandem
import TandemCore
import TandemStrategies

/// `recipes/ls-grid.yaml` (issue 20, item 7): linear scalarisation's grid search is a suite whose
/// cells are valid recipes, whose weights name every task of the base recipe, and whose report
/// tunes the weights on validation.
final class LinearScalarisationRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    func build(_ recipe: Recipe) throws -> any GradientCombiner {
        let (_, _, options) = try Experiment.check(recipe)
        return try Registry.standard.strategies[recipe.strategy.name]!.make(options, StrategyBuildContext(tasks: recipe.tasks.map { TaskSpec(name: $0.name, kind: .regression(outputs: 1), role: $0.role) }, seed: recipe.seed))
    }

    func testEveryCellIsAValidRecipeWithWeightsForEveryTask() throws {
        let suite = try Suite.load(recipes.appendingPathComponent("ls-grid.yaml").path)
        XCTAssertEqual(suite.report.tuned, ["strategy.weights"])
        let cells = try suite.cells()
        XCTAssertEqual(cells.filter { $0.baselineTask == nil }.count, 9 * 3)
        XCTAssertEqual(cells.filter { $0.baselineTask != nil }.count, 3 * 3, "a single-task baseline per task and seed")
        var grid: Set<[Double]> = []
        for cell in cells {
            let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            guard cell.baselineTask == nil else { continue }
            XCTAssertEqual(recipe.strategy.name, "ls", cell.identifier)
            let strategy = try XCTUnwrap(try build(recipe) as? LinearScalarisation, cell.identifier)
            let weights = try XCTUnwrap(strategy.weights, cell.identifier)
            XCTAssertEqual(Set(weights.keys), ["segmentation", "depth", "normals"], cell.identifier)
            XCTAssertEqual(weights["segmentation"], 1, cell.identifier)
            grid.insert(["depth", "normals"].map { weights[$0]! })
        }
        XCTAssertEqual(grid, Set([0.25, 1, 4].flatMap { d in [0.25, 1, 4].map { [d, $0] } }), "the 3 × 3 grid")
        XCTAssertEqual(Set(cells.map(\.folderName)).count, cells.count, "one folder per cell")
    }

    /// A weight list that misses a task, names another, or gives a negative, non-finite or
    /// non-numeric weight fails with a message naming the option and what was expected.
    func testBadWeightsNameTheProblem() throws {
        let base = recipes.appendingPathComponent("quickstart-base.yaml").path
        let cases: [(String, String)] = [
            ("segmentation=1 depth=1", "no weight for task 'normals'"),
            ("segmentation=1 depth=1 normals=1 edges=1", "'edges', which is not a task"),
            ("segmentation=1 depth=-1 normals=1", "weight of 'depth' must be a finite number ≥ 0, found -1"),
            ("segmentation=1 depth=inf normals=1", "weight of 'depth' must be a finite number ≥ 0"),
            ("segmentation=1 depth=x normals=1", "weight of 'depth' must be a number, found 'x'"),
            ("segmentation depth=1 normals=1", "'segmentation' is not TASK=W"),
            ("segmentation=1 segmentation=2 depth=1 normals=1", "names task 'segmentation' twice"),
            ("segmentation=0 depth=0 normals=0", "all zero"),
        ]
        for (weights, expected) in cases {
            let recipe = try Recipe.load(base, overrides: ["strategy=ls", "strategy.weights=\(weights)"])
            XCTAssertThrowsError(try build(recipe), weights) { error in
                XCTAssertTrue("\(error)".contains("ls.weights"), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(weights): \(error)")
            }
        }
        let good = try build(Recipe.load(base, overrides: ["strategy=ls", "strategy.weights=segmentation=2, depth=0.5, normals=0"])) as? LinearScalarisation
        XCTAssertEqual(good?.weights, ["segmentation": 2, "depth": 0.5, "normals": 0])
        let unset = try build(Recipe.load(base, overrides: ["strategy=ls"])) as? LinearScalarisation
        XCTAssertNotNil(unset)
        XCTAssertNil(unset?.weights, "unset: every w_t = 1")
    }
}
