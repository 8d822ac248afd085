import XCTest
import Foundation
@testable import Tandem

/// Suites: matrix expansion, resume (finished cells are skipped), and shards merged by the report
/// equal an unsharded run.
final class SuiteTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-suite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = KillAndResumeTests.sampleData.path
        try """
        name: small
        dataset: {name: multimnist, images: \(data)/mnist5k-images-idx3-ubyte, labels: \(data)/mnist5k-labels-idx1-ubyte, train: 512, validation: 128, test: 128}
        tasks: [left, {name: right, role: auxiliary}]
        model: {name: mlp, shared_widths: [32], head_widths: [16]}
        strategy: ew
        optimizer: {name: adam, learning_rate: 0.003}
        budget: {steps: 20, batch_size: 32}
        evaluation: {criterion: left.accuracy}

        """.write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        try """
        name: small
        recipe: base.yaml
        matrix:
          strategy: [ew, pcgrad]
          seed: [0, 1]
        baselines: true

        """.write(to: folder.appendingPathComponent("suite.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testMatrixShardsResumeAndMerge() throws {
        guard FileManager.default.fileExists(atPath: KillAndResumeTests.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        let suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        let cells = try suite.cells()
        XCTAssertEqual(cells.map(\.identifier), ["strategy=ew,seed=0", "strategy=ew,seed=1", "strategy=pcgrad,seed=0", "strategy=pcgrad,seed=1",
                                                 "baseline=left,seed=0", "baseline=left,seed=1", "baseline=right,seed=0", "baseline=right,seed=1"])
        let shards = try (1...3).map { try suite.cells(shard: $0, of: 3) }
        XCTAssertEqual(shards.flatMap { $0 }.map(\.identifier).sorted(), cells.map(\.identifier).sorted())

        // Unsharded, in one folder.
        let whole = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("whole"))
        var log: [String] = []
        try whole.run(cells, jobs: 1, executable: "") { log.append($0) }
        XCTAssertTrue(log[0].contains("8 cells, 0 already finished, 8 to run"), log[0])

        // Resume: nothing left to run, results untouched.
        let resultURL = whole.folder(of: cells[0]).appendingPathComponent("result.json")
        let before = try Data(contentsOf: resultURL)
        log = []
        try whole.run(cells, jobs: 1, executable: "") { log.append($0) }
        XCTAssertTrue(log[0].contains("8 already finished, 0 to run"), log[0])
        XCTAssertEqual(try Data(contentsOf: resultURL), before)

        // Three shards in three folders, merged by the report.
        var shardFolders: [URL] = []
        for (index, shard) in shards.enumerated() {
            let output = folder.appendingPathComponent("shard\(index + 1)")
            try SuiteRunner(suite: suite, outputFolder: output).run(shard, jobs: 1, executable: "") { _ in }
            shardFolders.append(output)
        }
        let merged = try SuiteReport(folders: shardFolders)
        let unsharded = try SuiteReport(folders: [whole.outputFolder])
        XCTAssertEqual(merged.comparison.rows.map(\.headlines), unsharded.comparison.rows.map(\.headlines))
        XCTAssertEqual(merged.comparison.rows.map(\.deltaOverMetrics), unsharded.comparison.rows.map(\.deltaOverMetrics))
        XCTAssertEqual(merged.cells.count, 8)
        for cell in cells {
            let a = try Data(contentsOf: whole.folder(of: cell).appendingPathComponent("result.json"))
            let shardFolder = shardFolders.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("cells/\(cell.folderName)/result.json").path) }!
            let b = try Data(contentsOf: shardFolder.appendingPathComponent("cells/\(cell.folderName)/result.json"))
            let decoder = JSONDecoder()
            XCTAssertEqual(try decoder.decode(Experiment.Result.self, from: a).metrics, try decoder.decode(Experiment.Result.self, from: b).metrics, cell.identifier)
        }
    }

    func testEpochBudgetBecomesSteps() throws {
        guard FileManager.default.fileExists(atPath: KillAndResumeTests.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path,
                                     overrides: ["budget={epochs: 2, batch_size: 32}", "optimizer.schedule=half_at_midpoint"])
        let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("epochs"))
        XCTAssertEqual(experiment.trainer.data.stepsPerEpoch, 512 / 32)
        XCTAssertEqual(experiment.trainer.configuration.steps, 32)
        XCTAssertEqual(experiment.trainer.optimizers.shared.schedule, .halfAtMidpoint(totalSteps: 32))
        let result = try experiment.run()
        XCTAssertEqual(result.steps, 32)
    }

    func testBadMatrixValueFailsBeforeAnythingRuns() throws {
        try """
        name: bad
        recipe: base.yaml
        matrix:
          strategy: [ew, pcgard]

        """.write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let suite = try Suite.load(folder.appendingPathComponent("bad.yaml").path)
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("bad-run"))
        XCTAssertThrowsError(try runner.run(try suite.cells(), jobs: 1, executable: "") { _ in }) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'pcgrad'"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.folder(of: try suite.cells()[0]).appendingPathComponent("result.json").path))
    }
}
