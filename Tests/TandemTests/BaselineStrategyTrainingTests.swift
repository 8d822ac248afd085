import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// The baselines of issue 20 (item 7) through the real `Trainer` on synthetic scenes: each runs a
/// few steps of a small SplitVGG-3 from a recipe (segmentation primary, so `pcd` has its primary
/// task), every step's losses, shared-gradient norm and strategy reports are finite, and the
/// shared gradient is non-zero. No claim about the losses' trend (a few steps prove nothing).
final class BaselineStrategyTrainingTests: XCTestCase {
    func recipe(strategy: String, folder: URL) throws -> Recipe {
        let text = """
        name: baseline-\(folder.lastPathComponent)
        dataset: {name: synthetic-scenes, train: 32, validation: 16, test: 16, height: 32, width: 32, seed: 3}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
          - {name: normals, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: \(strategy)
        optimizer: {name: sgd, learning_rate: 0.02, momentum: 0.9}
        budget: {steps: 6, batch_size: 8}
        evaluation: {batch_size: 16}
        output: \(folder.path)

        """
        let url = folder.appendingPathComponent("recipe.yaml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path)
    }

    func testEachBaselineTrainsWithFiniteSteps() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-baselines-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let strategies = ["{name: ls, weights: 'segmentation=1 depth=0.5 normals=0.25'}", "config", "excessmtl", "db-mtl", "moco", "pcd", "sdmgrad", "modo", "{name: cr-mogm, strategy: upgrad}"]
        for (index, strategy) in strategies.enumerated() {
            var records: [StepRecord] = []
            let experiment = try Experiment(recipe: recipe(strategy: strategy, folder: root.appendingPathComponent("s\(index)")))
            _ = try experiment.run { records.append($0) }
            XCTAssertEqual(records.count, 6, strategy)
            for record in records {
                let numbers = Array(record.losses.values) + Array(record.reports.values) + [record.sharedGradientNorm]
                XCTAssertTrue(numbers.allSatisfy(\.isFinite), "\(strategy) step \(record.step): \(record)")
                XCTAssertGreaterThan(record.sharedGradientNorm, 0, "\(strategy) step \(record.step)")
            }
        }
    }
}
