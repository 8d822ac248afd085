import XCTest
import Foundation
@testable import Tandem

/// `include:` — rows with other base recipes as cells of one suite — and a transfer-learning cell
/// (both phases in one cell) run the three ways a suite runs: in process, `--jobs 2` child
/// processes, and one `--cell` task as a Slurm array task runs it.
final class SuiteIncludeTests: XCTestCase {
    var folder: URL!
    var suiteFile: String { folder.appendingPathComponent("suite.yaml").path }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-include-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write("base.yaml", """
        name: tiny
        seed: 0
        dataset: {name: synthetic-scenes, train: 16, validation: 8, test: 8, height: 32, width: 32}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.0625}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 8, batch_size: 4}
        evaluation: {every: 4, selection: last, criterion: segmentation.mIoU, batch_size: 8}
        """)
        try write("transfer-base.yaml", """
        base: base.yaml
        optimizer: {learning_rate: 0.01}
        heads_optimizer: {learning_rate: 0.05}
        budget: {steps: 4}
        evaluation: {every: 2}
        pretraining:
          optimizer: {learning_rate: 0.05}
          heads_optimizer: {learning_rate: 0.05}
          budget: {steps: 8}
          evaluation: {every: 4}
        """)
        try write("transfer.yaml", """
        name: tiny
        recipe: transfer-base.yaml
        matrix:
          name: [transfer-learning]
          seed: [0]
        baselines: false
        """)
        try write("suite.yaml", """
        name: tiny
        recipe: base.yaml
        matrix:
          strategy: [ew, uw]
          seed: [0]
        baselines: true
        include: [transfer.yaml]
        """)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws {
        try (text + "\n").write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func testIncludedCellsComeAfterTheMatrixWithTheirOwnRecipe() throws {
        let suite = try Suite.load(suiteFile)
        let cells = try suite.cells()
        XCTAssertEqual(cells.map(\.identifier), ["strategy=ew,seed=0", "strategy=uw,seed=0", "name=transfer-learning,seed=0",
                                                 "baseline=segmentation,seed=0", "baseline=depth,seed=0"])
        XCTAssertEqual(cells.map(\.index), Array(0..<5))
        XCTAssertEqual(cells.map { URL(fileURLWithPath: $0.recipePath).lastPathComponent },
                       ["base.yaml", "base.yaml", "transfer-base.yaml", "base.yaml", "base.yaml"])
        XCTAssertEqual(try suite.cell(at: 2).identifier, "name=transfer-learning,seed=0")
        XCTAssertEqual(try suite.cells(shard: 1, of: 2).map(\.index), [0, 2, 4])
        try SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("checked")).validate(cells)

        // On Slurm with a time limit the two-phase cell gets its own, longer array (1 + 8/4 = 3 × EW).
        let plan = try SlurmJobArrays(runner: SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("plan")), cells: cells,
                                      settings: SlurmSettings(timePerCell: try SlurmDuration(parsing: "0:10:00")),
                                      executable: "/bin/tandem", workingDirectory: folder.path)
        let transfer = try XCTUnwrap(plan.arrays.first { $0.taskIDs.contains(2) })
        XCTAssertEqual(transfer.taskIDs, [2])
        XCTAssertEqual(transfer.costFactor, 3)
        XCTAssertTrue(transfer.script.contains("--cell \"$SLURM_ARRAY_TASK_ID\""), transfer.script)
    }

    func testIncludeMistakesAreRefusedNamingTheFiles() throws {
        func refusal(_ text: String, included: String? = nil) -> String {
            do {
                if let included { try write("other.yaml", included) }
                try write("bad.yaml", text)
                _ = try Suite.load(folder.appendingPathComponent("bad.yaml").path).cells()
                return "no error"
            } catch { return "\(error)" }
        }
        let missing = refusal("recipe: base.yaml\ninclude: [nowhere.yaml]")
        XCTAssertTrue(missing.contains("bad.yaml:2:") && missing.contains("included suite 'nowhere.yaml' does not exist"), missing)
        let withBaselines = refusal("recipe: base.yaml\nbaselines: false\ninclude: [other.yaml]", included: "recipe: transfer-base.yaml")
        XCTAssertTrue(withBaselines.contains("included suite 'other.yaml' has baselines") && withBaselines.contains("baselines: false"), withBaselines)
        let nested = refusal("recipe: base.yaml\ninclude: [other.yaml]", included: "recipe: base.yaml\nbaselines: false\ninclude: [transfer.yaml]")
        XCTAssertTrue(nested.contains("has an `include:` of its own"), nested)
        let duplicate = refusal("recipe: base.yaml\nmatrix: {seed: [0]}\nbaselines: false\ninclude: [other.yaml]",
                                included: "recipe: transfer-base.yaml\nmatrix: {seed: [0]}\nbaselines: false")
        XCTAssertTrue(duplicate.contains("cell seed=0 of the included suite") && duplicate.contains("other.yaml") && duplicate.contains("bad.yaml"), duplicate)
        let itself = refusal("recipe: base.yaml\ninclude: [bad.yaml]")
        XCTAssertTrue(itself.contains("cannot include itself"), itself)
    }

    /// The suite's child processes run each cell as `tandem train CELL-RECIPE --resume`: the
    /// transfer cell pre-trains and then fine-tunes inside its own process, and a rerun skips it.
    func testJobsTwoRunsTheTwoPhaseCellAndARerunSkipsIt() throws {
        let executable = try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
        let suite = try Suite.load(suiteFile)
        let cells = try suite.cells()
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("parallel"))
        try runner.run(cells, jobs: 2, executable: executable.path) { _ in }
        let transfer = runner.folder(of: cells[2])
        for file in ["pretraining/result.json", "pretraining/best-encoder.tandem", "result.json", "cell.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: transfer.appendingPathComponent(file).path), file)
        }
        let result = try JSONDecoder().decode(Experiment.Result.self, from: Data(contentsOf: transfer.appendingPathComponent("result.json")))
        XCTAssertEqual(result.name, "transfer-learning")
        XCTAssertEqual(result.steps, 4)
        XCTAssertEqual(Set(result.metrics["test"]!.keys), ["segmentation"])

        // The same cell in this process gives the same numbers.
        let local = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("local"))
        try local.run([cells[2]], jobs: 1, executable: "") { _ in }
        let same = try JSONDecoder().decode(Experiment.Result.self, from: Data(contentsOf: local.folder(of: cells[2]).appendingPathComponent("result.json")))
        XCTAssertEqual(same.metrics, result.metrics)
        XCTAssertEqual(same.history, result.history)

        var log: [String] = []
        try runner.run(cells, jobs: 2, executable: executable.path) { log.append($0) }
        XCTAssertTrue(log[0].contains("5 cells, 5 already finished, 0 to run"), log[0])
        let report = try SuiteReport(folders: [runner.outputFolder])
        XCTAssertEqual(report.comparison.rows.map(\.label), ["strategy=ew", "strategy=uw", "name=transfer-learning"])
        XCTAssertEqual(report.comparison.baselineRows.count, 2)
    }

    /// What one Slurm array task runs (`tandem suite SUITE --cell I --no-report`) trains both phases.
    func testOneCellTaskRunsBothPhases() throws {
        let executable = try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
        let output = folder.appendingPathComponent("task")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["suite", suiteFile, "--cell", "2", "--no-report", "--output", output.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let cell = output.appendingPathComponent("cells/name=transfer-learning,seed=0")
        XCTAssertTrue(FileManager.default.fileExists(atPath: cell.appendingPathComponent("pretraining/result.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: cell.appendingPathComponent("result.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.appendingPathComponent("cells/strategy=ew,seed=0/result.json").path))
    }
}
