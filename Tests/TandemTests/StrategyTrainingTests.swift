import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// End to end: on synthetic scenes with a small SplitVGG-3, each of the seven strategies trains
/// for 200 steps and lowers every task's validation loss by at least 20 %.
///
/// The learning rate (0.02 with momentum 0.9) keeps training away from the edge of stability, so
/// the outcome does not hang on rounding: under OpenBLAS's Haswell and SkylakeX kernels every loss
/// falls by a third or more, a margin over the 20 % bound.
final class StrategyTrainingTests: XCTestCase {
    func recipe(strategy: String, folder: URL) throws -> Recipe {
        let text = """
        name: e2e-\(strategy)
        dataset: {name: synthetic-scenes, train: 96, validation: 32, test: 16, height: 32, width: 32, seed: 3}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
          - {name: normals, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: \(strategy)
        optimizer: {name: sgd, learning_rate: 0.02, momentum: 0.9}
        strategy_optimizer: {name: adam, learning_rate: 0.01}
        budget: {steps: 200, batch_size: 8}
        evaluation: {batch_size: 32}
        output: \(folder.path)

        """
        let url = folder.appendingPathComponent("recipe.yaml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path)
    }

    func testEveryStrategyLowersEveryValidationLoss() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for strategy in ["ew", "uw", "dwa", "gradnorm", "pcgrad", "mgda-ub", "ial"] {
            let experiment = try Experiment(recipe: recipe(strategy: strategy, folder: root.appendingPathComponent(strategy)))
            try experiment.trainer.evaluateNow()
            let before = experiment.trainer.history[0].metrics["validation"]!
            let result = try experiment.run()
            let after = result.history.last!.metrics["validation"]!
            for task in ["segmentation", "depth", "normals"] {
                let start = before[task]!["loss"]!, end = after[task]!["loss"]!
                print("\(strategy) \(task): validation loss \(start) → \(end)")
                XCTAssertLessThan(end, 0.8 * start, "\(strategy) did not lower the \(task) validation loss by 20 % (\(start) → \(end))")
            }
        }
    }
}
