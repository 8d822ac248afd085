import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// The NYUv2 protocol of Nash-MTL and FAMO as a preset (`recipes/nyuv2-segnet-mtan*.yaml`): every
/// cell a valid recipe with the references' settings, and the pieces the protocol needed — an
/// evaluation after every epoch, per-batch averaging of the depth and normal errors, and Δm
/// against a fixed single-task row.
final class NYUv2ProtocolTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-nyuv2-protocol-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try NYUv2TreeFixture.writeTree(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testEveryCellIsAValidRecipeWithTheReferencesSettings() throws {
        let root = folder.appendingPathComponent("nyu").path
        let suite = try Suite.load(recipes.appendingPathComponent("nyuv2-segnet-mtan.yaml").path, overrides: ["dataset.root=\(root)"])
        let cells = try suite.cells()
        XCTAssertEqual(cells.count, 14 * 3, "13 strategies and UW, three seeds, no single-task cells (Δm uses the published row)")
        var strategies: Set<String> = []
        for cell in cells {
            let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            strategies.insert(recipe.strategy.name)
            XCTAssertEqual(recipe.model.name, "segnet-mtan")
            XCTAssertEqual(recipe.optimizer.kind, .adam)
            XCTAssertEqual(recipe.optimizer.learningRate, 1e-4)
            XCTAssertEqual(recipe.optimizer.scheduleSpecification, .stepwise(milestones: [100], factor: 0.5))
            XCTAssertTrue(recipe.optimizer.milestonesInEpochs)
            XCTAssertEqual(recipe.epochs, 200)
            XCTAssertEqual(recipe.batchSize, 2)
            XCTAssertEqual(recipe.evaluateEvery, 1)
            XCTAssertTrue(recipe.evaluateEveryInEpochs)
            XCTAssertEqual(recipe.evaluationBatchSize, 2)
            XCTAssertEqual(recipe.metricAveraging, .batches)
            let dataset = try XCTUnwrap(recipe.dataset.options?.canonicalText)
            XCTAssertTrue(dataset.contains("augmentation: true") && dataset.contains("validation: whole"), dataset)
            if recipe.strategy.name == "uw" {
                XCTAssertEqual(recipe.strategyOptimizer.learningRate, 0.025, "UW's log-variances at the references' method-parameter rate")
            }
        }
        XCTAssertEqual(strategies, ["ew", "scale-invariant", "rlw", "dwa", "mgda-ub", "pcgrad", "graddrop", "cagrad", "imtl-g", "nash-mtl",
                                    "famo", "auto-lambda", "it", "uw"])
        XCTAssertEqual(suite.report.lastEvaluations, 10)
        XCTAssertEqual(suite.report.baselineValues?.values.reduce(0) { $0 + $1.count }, 9)
        XCTAssertEqual(suite.report.baselineValues?["depth"]?["absError"], 0.6754)
    }

    func testAnEvaluationEveryEpochIsTheEpochLengthInSteps() throws {
        let recipe = try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{every: 2, every_unit: epochs, batch_size: 2}")
        let experiment = try Experiment(recipe: recipe)
        XCTAssertEqual(experiment.trainer.data.stepsPerEpoch, 3, "6 training images in batches of 2")
        XCTAssertEqual(experiment.trainer.configuration.evaluateEvery, 6)
        XCTAssertThrowsError(try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{every_unit: epochs}")) {
            XCTAssertTrue("\($0)".contains("evaluation.every_unit needs `every:`"), "\($0)")
        }
        XCTAssertThrowsError(try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{every: 1, every_unit: days}")) {
            XCTAssertTrue("\($0)".contains("evaluation.every_unit") && "\($0)".contains("epochs"), "\($0)")
        }
    }

    /// Two batches with 1 and 3 valid depth pixels: per batch the errors are 2 and 1, so batch
    /// averaging gives 1.5 and pixel averaging (2 + 3)/4 = 1.25; normals likewise per batch.
    func testBatchAveragingIsTheMeanOfPerBatchValues() throws {
        let depth = TaskSpec(name: "depth", kind: .depth)
        let batches = [(prediction: [3, 9, 9, 9], target: [1, 0, 0, 0]), (prediction: [2, 2, 2, 9], target: [1, 1, 1, 0])] as [(prediction: [Float], target: [Float])]
        func absError(_ averaging: MetricAveraging) -> Double? {
            let accumulator = StandardMetrics.accumulator(for: depth, averaging: averaging)!
            for batch in batches {
                accumulator.add(prediction: Tensor(shape: [1, 1, 2, 2], scalars: batch.prediction), target: Tensor(shape: [1, 1, 2, 2], scalars: batch.target))
            }
            return accumulator.values()["absError"]
        }
        XCTAssertEqual(try XCTUnwrap(absError(.batches)), 1.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(absError(.pixels)), 1.25, accuracy: 1e-12)
        let recipe = try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{every: 2, batch_size: 2, metric_averaging: batches}")
        XCTAssertEqual(recipe.metricAveraging, .batches)
        XCTAssertThrowsError(try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{metric_averaging: images}")) {
            XCTAssertTrue("\($0)".contains("evaluation.metric_averaging") && "\($0)".contains("batches"), "\($0)")
        }
    }

    /// Nash-MTL's published row against the references' single-task BASE gives their Δm, −4.0468 %
    /// by their own `delta_fn` (experiments/nyuv2/utils.py), computed with numpy; Tandem's Δ_MTL is
    /// positive when better, so it reads +4.0468.
    func testDeltaAgainstPublishedBaselineValuesIsTheReferencesDeltaM() throws {
        let suite = try Suite.load(recipes.appendingPathComponent("nyuv2-segnet-mtan.yaml").path,
                                   overrides: ["dataset.root=\(folder.appendingPathComponent("nyu").path)"])
        let row: [String: [String: Double]] = [
            "segmentation": ["mIoU": 0.4013, "pixelAccuracy": 0.6593, "loss": 1],
            "depth": ["absError": 0.5261, "relError": 0.2171, "absError100": 52.61],
            "normals": ["angleMean": 25.26, "angleMedian": 20.08, "within11.25": 0.2840, "within22.5": 0.5547, "within30": 0.6815],
        ]
        let cells = try writeCells(row)
        var options = suite.report
        options.reference = nil  // the one fake row is not the preset's reference row
        let report = try SuiteReport(folders: [cells], options: options)
        let delta = try XCTUnwrap(report.comparison.rows.first?.deltaOverMetrics)
        XCTAssertEqual(delta.mean, 4.046799097499022, accuracy: 1e-9)
        XCTAssertTrue(report.table().contains("report.baseline_values") && report.table().contains("print its negative as Δm"), report.table())

        for (bad, words) in [("{segmentation: {mIoU: 0}}", ["is 0"]), ("{depth: {loss: 0.5}}", ["not a metric"]), ("[0.38]", ["must be a mapping"])] {
            let file = folder.appendingPathComponent("bad-\(UUID().uuidString).yaml")
            try "name: bad\nrecipe: \(recipes.appendingPathComponent("nyuv2-segnet-mtan-base.yaml").path)\nmatrix: {strategy: [ew]}\nreport: {baseline_values: \(bad)}\n"
                .write(to: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Suite.load(file.path)) { error in
                for word in words + ["report.baseline_values"] { XCTAssertTrue("\(error)".contains(word), "\(word): \(error)") }
            }
        }
    }

    /// A suite folder with one finished cell whose test metrics are `metrics`.
    func writeCells(_ metrics: [String: [String: Double]]) throws -> URL {
        let root = folder.appendingPathComponent("suite")
        let cell = root.appendingPathComponent("cells/strategy=nash-mtl,seed=0")
        try FileManager.default.createDirectory(at: cell, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        try encoder.encode(CellDescription(suite: "nyuv2", identifier: "strategy=nash-mtl,seed=0", coordinates: ["strategy": "nash-mtl", "seed": "0"],
                                           baselineTask: nil)).write(to: cell.appendingPathComponent("cell.json"))
        let result = Experiment.Result(name: "nyuv2", strategy: "nash-mtl", seed: 0, steps: 10, metrics: ["test": metrics], selectedSteps: [10],
                                       secondsPerStep: 1, history: [EvaluationPoint(step: 10, validationError: 0, metrics: ["test": metrics])],
                                       provenance: nil, trivialReference: nil)
        try encoder.encode(result).write(to: cell.appendingPathComponent("result.json"))
        return root
    }
}
