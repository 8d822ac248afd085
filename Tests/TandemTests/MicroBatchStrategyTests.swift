import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// `budget.micro_batches` with every registered strategy: on a model without batch norm, a step
/// in S micro-batches is the whole batch's step up to the order of floating-point sums, so two
/// steps with S = 2 and S = 3 must move the parameters as S = 1 does (to 1e-3 of the move). A
/// strategy that combined micro-batch quantities wrongly (a lookahead on one micro-batch, a
/// weight per micro-batch instead of per batch) would miss by far more.
final class MicroBatchStrategyTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-micro-batches-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try MultiProcessTests.smallRecipe(steps: 2, microBatches: 1).write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The parameters after the recipe's steps with `strategy` and S micro-batches.
    func parameters(strategy: String, microBatches: Int) throws -> Parameters {
        // TMT trains from limited parallel labels: give it some.
        let labels = strategy == "tmt" ? ["labels={parallel_fraction: 0.5, alternate_every: 2}"] : []
        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path,
                                     overrides: ["strategy=\(strategy)", "budget.micro_batches=\(microBatches)"] + labels)
        let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("\(strategy)-\(microBatches)"))
        let start = experiment.trainer.parameters
        try experiment.run()
        return Parameters(experiment.trainer.parameters.names.map { ($0, experiment.trainer.parameters[$0] - start[$0]) })
    }

    func testEveryStrategyTakesTheWholeBatchStepInMicroBatches() throws {
        var checked: [String] = []
        for strategy in Registry.standard.strategyNames {
            let whole = try parameters(strategy: strategy, microBatches: 1)
            let moved = whole.tensorsInOrder.map { $0.scalars.map(abs).max() ?? 0 }.max() ?? 0
            XCTAssertGreaterThan(moved, 0, "\(strategy): the steps did not move the parameters")
            for count in [2, 3] {
                let split = try parameters(strategy: strategy, microBatches: count)
                var worst: Float = 0, worstName = ""
                for name in whole.names {
                    let difference = zip(whole[name].scalars, split[name].scalars).map { abs($0 - $1) }.max() ?? 0
                    if difference > worst { (worst, worstName) = (difference, name) }
                }
                XCTAssertLessThanOrEqual(worst, 1e-3 * moved,
                                         "\(strategy), S=\(count): \(worstName) moved differently by \(worst) (largest move \(moved))")
            }
            checked.append(strategy)
        }
        XCTAssertEqual(checked.count, Registry.standard.strategyNames.count)
    }

    func testARecipeAsksForOneToBatchSizeMicroBatches() throws {
        let base = folder.appendingPathComponent("base.yaml").path
        XCTAssertEqual(try Recipe.load(base).microBatches, .none)
        XCTAssertEqual(try Recipe.load(base, overrides: ["budget.micro_batches=12"]).microBatches, MicroBatches(count: 12))
        for bad in ["0", "13", "two", "1.5"] {
            XCTAssertThrowsError(try Recipe.load(base, overrides: ["budget.micro_batches=\(bad)"]), bad) { error in
                XCTAssertTrue(error is RecipeError, "\(bad): \(error)")
                XCTAssertTrue("\(error)".contains("budget.micro_batches"), "\(bad): \(error)")
            }
        }
    }
}
