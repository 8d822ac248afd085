import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemStrategies

/// IT-MTL and transference from recipes: nested strategies (`inner:`, `combination`), candidate
/// lists checked against the recipe's tasks with line and column, epoch milestones, the
/// `transference:` measurement and the files of `tandem affinity`.
final class IncreasedTransferRecipeTests: XCTestCase {
    var folder: URL!
    /// The repository's MNIST sample (data/, with provenance and checksums in data/README.md).
    static let repositoryData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data").standardized

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func recipe(strategy: String, extra: String = "") throws -> (Recipe, String) {
        let data = IncreasedTransferRecipeTests.repositoryData.path
        let text = """
        name: it-small
        dataset: {name: multimnist, images: \(data)/mnist5k-images-idx3-ubyte, labels: \(data)/mnist5k-labels-idx1-ubyte, train: 256, validation: 64, test: 64}
        tasks: [left, right]
        model: multilenet
        strategy:
        \(strategy)
        optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9, schedule: stepwise, milestones: [2], milestone_unit: epochs}
        budget: {epochs: 3, batch_size: 64}
        evaluation: {batch_size: 64}
        output: \(folder.appendingPathComponent("run").path)
        \(extra)
        """
        let path = folder.appendingPathComponent("recipe.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (try Recipe.load(path), path)
    }

    func assertCheckError(_ strategy: String, line: Int, column: Int, contains expected: String, file: StaticString = #filePath, testLine: UInt = #line) throws {
        let (recipe, path) = try self.recipe(strategy: strategy)
        XCTAssertThrowsError(try Experiment.check(recipe), file: file, line: testLine) { error in
            guard let e = error as? RecipeError else { return XCTFail("\(error)", file: file, line: testLine) }
            XCTAssertEqual(e.file, path, file: file, line: testLine)
            XCTAssertEqual([e.line, e.column], [line, column], "\(e)", file: file, line: testLine)
            XCTAssertTrue(e.message.contains(expected), "\(e.message)", file: file, line: testLine)
        }
    }

    func testRecipeErrorsNameLineAndColumn() throws {
        // Line 5 is `strategy:`; the nested block starts on line 6.
        try assertCheckError("""
          name: it
          candidates: subsets
          subsets: [[left, right], [left, rihgt]]
        """, line: 8, column: 35, contains: "unknown task in it.subsets 'rihgt' — did you mean 'right'?")
        try assertCheckError("""
          name: it
          inner: pcgard
        """, line: 7, column: 10, contains: "did you mean 'pcgrad'?")
        try assertCheckError("""
          name: it
          inner: {name: uw, varient: tag}
        """, line: 7, column: 21, contains: "varient")
        try assertCheckError("""
          name: combination
          decoder: {name: uw, initial: 50}
        """, line: 7, column: 32, contains: "initial must be a number in -10.0…10.0, found 50")
    }

    func testCandidateOptionsThatDoNotFitAreErrors() throws {
        let (recipe, _) = try self.recipe(strategy: "  {name: it, subsets: [[left]]}")
        XCTAssertThrowsError(try Experiment(recipe: recipe)) { error in
            XCTAssertTrue("\(error)".contains("`subsets:` needs `candidates: subsets`"), "\(error)")
        }
    }

    func testNestedStrategiesBuildWithTheirOwnDefaults() throws {
        let (recipe, _) = try self.recipe(strategy: "  {name: it, candidates: total-and-inner, inner: {name: combination, decoder: uw, encoder: {name: pcgrad, reduction: mean}}}")
        let options = try Experiment.check(recipe).strategy
        let inner = try XCTUnwrap(options.strategy("inner"))
        XCTAssertEqual(inner.name, "combination")
        XCTAssertEqual(inner.options["decoder"], .strategy(name: "uw", options: [:]), "only what the recipe gave; defaults apply when built")
        XCTAssertEqual(inner.options["encoder"], .strategy(name: "pcgrad", options: ["reduction": .text("mean")]))
        let experiment = try Experiment(recipe: recipe)
        let strategy = try XCTUnwrap(experiment.trainer.strategy as? IncreasedTransfer)
        XCTAssertEqual(strategy.candidates, .totalAndInner)
        XCTAssertEqual(strategy.inner.name, "uw-pcgrad")
        XCTAssertEqual((strategy.decoder as? UncertaintyWeighting)?.variant, .libmtl)
        XCTAssertEqual((strategy.inner.encoder as? PCGrad)?.reduction, .mean)
        // Default inner: equal weighting.
        let (plain, _) = try self.recipe(strategy: "  it")
        XCTAssertEqual((try Experiment(recipe: plain).trainer.strategy as? IncreasedTransfer)?.inner.name, "ew")
    }

    func testEpochMilestones() throws {
        let (recipe, _) = try self.recipe(strategy: "  ew")
        let experiment = try Experiment(recipe: recipe)
        let perEpoch = experiment.trainer.data.stepsPerEpoch
        XCTAssertEqual(perEpoch, 4)
        XCTAssertEqual(experiment.trainer.optimizers.shared.schedule, .stepwise(milestones: [2 * perEpoch], factor: 0.5))
        XCTAssertThrowsError(try Recipe(node: RecipeDocument.apply(override: "optimizer.milestone_unit=epochs",
                                                                    to: RecipeDocument.load(folder.appendingPathComponent("recipe.yaml").path,
                                                                                            overrides: ["optimizer.schedule=constant"])), file: "x.yaml"))
    }

    /// IT-UW-PCGrad trains and records its choices; a `transference:` section measures Z_{i→j}
    /// every 3 steps without changing the run; the affinity files and the groups' suite follow.
    func testITRunRecordsChoicesAndTransferenceMeasurement() throws {
        let strategy = "  {name: it, candidates: total-and-inner, inner: {name: combination, decoder: uw, encoder: pcgrad}}"
        let (measured, _) = try recipe(strategy: strategy, extra: "transference: {every: 3}")
        XCTAssertEqual(measured.transference, Recipe.TransferenceMeasurement(every: 3, perLearningRate: false))
        let run = try Experiment(recipe: measured, outputFolder: folder.appendingPathComponent("measured"))
        try run.run()
        let records = try TransferenceAffinityFiles.readRecords(run.recordsURL)
        XCTAssertEqual(records.count, 12)
        for record in records {
            XCTAssertEqual(record.reports.keys.filter { $0.hasPrefix("it.chosen.") }.sorted(), ["it.chosen.all", "it.chosen.uw-pcgrad"])
            XCTAssertEqual(record.reports.filter { $0.key.hasPrefix("it.chosen.") }.values.reduce(0, +), 1)
            XCTAssertEqual(record.reports.keys.contains("affinity.left→right"), record.step % 3 == 0)
        }
        let (plain, _) = try recipe(strategy: strategy)
        let unmeasured = try Experiment(recipe: plain, outputFolder: folder.appendingPathComponent("plain"))
        try unmeasured.run()
        XCTAssertEqual(run.trainer.parameters.flattened().scalars, unmeasured.trainer.parameters.flattened().scalars,
                       "measuring transference does not change the training")

        let affinity = try TaskAffinity(records: records, tasks: ["left", "right"])
        XCTAssertEqual(affinity.measurements.map(\.step), [0, 3, 6, 9])
        XCTAssertEqual(affinity.epochs, [0, 1, 2])
        let files = try TransferenceAffinityFiles.write(affinity, to: folder.appendingPathComponent("affinity"), perLearningRate: false)
        XCTAssertEqual(files.map(\.lastPathComponent), ["affinity.csv", "affinity-normalised.svg", "affinity.svg", "affinity-over-training.svg"])
        let csv = try String(contentsOf: files[0], encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "scope,source,target,transference,normalised")
        XCTAssertEqual(csv.count, 1 + 3 * 4 + 4)
        XCTAssertTrue(csv.contains { $0.hasPrefix("overall,left,left,") && $0.hasSuffix(",1.0") }, "self-normalised diagonal is 1")
        XCTAssertTrue(try String(contentsOf: files[1], encoding: .utf8).contains("<svg"))

        let grouping = try TaskGrouping.best(affinity: affinity.overall, groupCount: 2, partition: true)
        XCTAssertEqual(Set(grouping.groups), [[0], [1]])
        let suiteText = TransferenceAffinityFiles.suite(for: grouping, tasks: affinity.tasks, recipePath: folder.appendingPathComponent("recipe.yaml").path,
                                                        name: "groups")
        let suitePath = folder.appendingPathComponent("groups.yaml").path
        try suiteText.write(toFile: suitePath, atomically: true, encoding: .utf8)
        let suite = try Suite.load(suitePath)
        XCTAssertEqual(try suite.cells().map(\.overrides).sorted { $0[0] < $1[0] },
                       [["tasks=[left]", "evaluation.criterion=loss"], ["tasks=[right]", "evaluation.criterion=loss"]])
    }
}
