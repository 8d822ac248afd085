import XCTest
import Foundation
@testable import Tandem

/// `tandem suite --slurm`: the plan (stable cell ids, throttle, cost classes, shards, skipping
/// finished cells), and a real run on the single-node cluster `make test` starts
/// (`scripts/with-slurm.sh`), whose merged table must equal a local run's bit for bit.
final class SlurmTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-slurm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Two strategies (one dear: PCGrad needs per-task gradients at θ_s) × two seeds on tiny rendered
    /// scenes, plus single-task baselines: 8 cells of a few steps each.
    static func writeTinySuite(into folder: URL) throws {
        try """
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

        """.write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        try """
        name: tiny
        recipe: base.yaml
        matrix:
          strategy: [ew, pcgrad]
          seed: [0, 1]
        baselines: true

        """.write(to: folder.appendingPathComponent("suite.yaml"), atomically: true, encoding: .utf8)
    }

    func testDurationsAndRanges() throws {
        XCTAssertEqual(try SlurmDuration(parsing: "30").seconds, 1800)
        XCTAssertEqual(try SlurmDuration(parsing: "1:30").seconds, 90)
        XCTAssertEqual(try SlurmDuration(parsing: "2:00:05").seconds, 7205)
        XCTAssertEqual(try SlurmDuration(parsing: "1-2").seconds, 93_600)
        XCTAssertEqual(try SlurmDuration(parsing: "1-0:30").seconds, 88_200)
        XCTAssertEqual(try SlurmDuration(parsing: "1-00:00:10").description, "1-00:00:10")
        XCTAssertEqual(try SlurmDuration(parsing: "0:10:00").scaled(by: 2.5).description, "00:25:00")
        XCTAssertEqual(SlurmDuration(seconds: 61).scaled(by: 1).description, "00:02:00")
        for bad in ["", "x", "1:2:3:4", "-5", "1-", "0", "1h"] {
            XCTAssertThrowsError(try SlurmDuration(parsing: bad), bad)
        }
        XCTAssertEqual(SlurmJobArrays.ranges([7, 0, 1, 2, 5, 8]), "0-2,5,7-8")
        XCTAssertEqual(SlurmJobArrays.ranges([3]), "3")
        XCTAssertEqual(SlurmJobArrays.quoted("a b'c"), "'a b'\\''c'")
        XCTAssertEqual(SlurmJobArrays.quoted("strategy=pcgrad"), "strategy=pcgrad")
    }

    func testStrategyCostFollowsRequirements() {
        XCTAssertEqual(StrategyCost.factor(requirements: .losses, taskCount: 3), 1)
        XCTAssertEqual(StrategyCost.factor(requirements: .representationGradients, taskCount: 3), 1)
        XCTAssertEqual(StrategyCost.factor(requirements: .sharedParameterGradients, taskCount: 3), 7.0 / 3)
        XCTAssertEqual(StrategyCost.factor(requirements: [.sharedParameterGradients, .secondOrderGradients], taskCount: 2), 10.0 / 3)
    }

    func testPlanSubmitsUnfinishedCellsByStableIndex() throws {
        let suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        let cells = try suite.cells()
        XCTAssertEqual(cells.map(\.index), Array(0..<8))
        XCTAssertEqual(try suite.cell(at: 5).identifier, "baseline=segmentation,seed=1")
        XCTAssertThrowsError(try suite.cell(at: 8)) { XCTAssertTrue("\($0)".contains("0…7"), "\($0)") }
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("out"))
        // Pretend cell 2 (pcgrad, seed 0) finished: it must not be submitted again.
        try FileManager.default.createDirectory(at: runner.folder(of: cells[2]), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: runner.folder(of: cells[2]).appendingPathComponent("result.json"))

        let timed = try SlurmJobArrays(runner: runner, cells: cells,
                                       settings: SlurmSettings(partition: "cpu", timePerCell: try SlurmDuration(parsing: "10"), maxRunning: 3),
                                       executable: "/opt/tandem", workingDirectory: "/work")
        XCTAssertEqual(timed.finishedCount, 1)
        XCTAssertEqual(timed.arrays.map(\.name), ["cells-cost1.0", "cells-cost2.0"])
        XCTAssertEqual(timed.arrays[0].arraySpecification, "0-1,4-7%3")   // EW and the baselines
        XCTAssertEqual(timed.arrays[1].arraySpecification, "3%3")         // PCGrad seed 1 (seed 0 is done)
        XCTAssertEqual(timed.arrays[1].cellsByTask[3], ["strategy=pcgrad,seed=1"])
        XCTAssertEqual(timed.arrays.map(\.time), [try SlurmDuration(parsing: "10"), try SlurmDuration(parsing: "20")])
        let script = timed.arrays[0].script
        for line in ["#SBATCH --array=0-1,4-7%3", "#SBATCH --partition=cpu", "#SBATCH --time=00:10:00", "#SBATCH --chdir=/work",
                     "#SBATCH --cpus-per-task=1", "export TANDEM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
                     "export TANDEM_NUMERICS=\(try NumericsPolicy.requested().rawValue)", "export TANDEM_CONVOLUTION=\(ConvolutionBackend.current.rawValue)",
                     "exec /opt/tandem suite \(folder.appendingPathComponent("suite.yaml").path) --output \(runner.outputFolder.path) --cell \"$SLURM_ARRAY_TASK_ID\" --no-report"] {
            XCTAssertTrue(script.contains(line), "missing \(line) in\n\(script)")
        }
        XCTAssertTrue(timed.reportScript.contains("exec /opt/tandem report \(runner.outputFolder.path)"), timed.reportScript)

        // Without a time limit, cost changes nothing: one array, one throttle.
        let untimed = try SlurmJobArrays(runner: runner, cells: cells, settings: SlurmSettings(maxRunning: 2),
                                         executable: "/opt/tandem", workingDirectory: "/work")
        XCTAssertEqual(untimed.arrays.map(\.arraySpecification), ["0-1,3-7%2"])
        XCTAssertFalse(untimed.arrays[0].script.contains("--time"))

        // Shards: task i runs shard i/3; shards with nothing left are not submitted.
        let sharded = try SlurmJobArrays(runner: runner, cells: cells, settings: SlurmSettings(timePerCell: try SlurmDuration(parsing: "10"), shards: 3),
                                         executable: "/opt/tandem", workingDirectory: "/work")
        XCTAssertEqual(sharded.arrays.count, 1)
        XCTAssertEqual(sharded.arrays[0].arraySpecification, "1-3")
        XCTAssertEqual(sharded.arrays[0].cellsByTask[1], ["strategy=ew,seed=0", "strategy=pcgrad,seed=1", "baseline=depth,seed=0"])
        XCTAssertEqual(sharded.arrays[0].cellsByTask[3], ["baseline=segmentation,seed=1"])   // cell 2 is finished
        XCTAssertTrue(sharded.arrays[0].script.contains("--shard \"$SLURM_ARRAY_TASK_ID/3\""), sharded.arrays[0].script)
        // The dearest shard, 1: two cells of cost 1 and PCGrad's (1 + 2·2)/3 with two tasks → 36.7 → 37 min.
        XCTAssertEqual(sharded.arrays[0].time, try SlurmDuration(parsing: "37"))

        // A dry run writes the scripts and a record, and submits nothing.
        let submission = try SlurmSubmission.submit(timed, runner: runner, dryRun: true, environment: ["PATH": "/nonexistent"])
        XCTAssertNil(submission.reportJobID)
        XCTAssertEqual(submission.commands.last, ["sbatch", "--parsable", "--dependency=afterany:DRYRUN1:DRYRUN2",
                                                  runner.outputFolder.appendingPathComponent("slurm/report.sbatch").path])
        XCTAssertEqual(try String(contentsOf: runner.outputFolder.appendingPathComponent("slurm/cells-cost1.0.sbatch"), encoding: .utf8), script)
        XCTAssertThrowsError(try SlurmSubmission.submit(timed, runner: runner, dryRun: false, environment: ["PATH": "/nonexistent"])) {
            XCTAssertTrue("\($0)".contains("sbatch is not on PATH"), "\($0)")
        }
    }

    /// The real thing: the tiny suite through slurmctld/slurmd (started by `make test` through
    /// `scripts/with-slurm.sh`, which exports SLURM_CONF and stops the daemons by PID afterwards)
    /// and, in a child process with the same thread count, locally; the merged results must be equal
    /// bit for bit, and a second `--slurm` must find nothing left to submit.
    func testSuiteOnRealSlurmEqualsLocalRun() throws {
        guard try clusterIsUp() else { return }
        guard let executable = KillAndResumeTests.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let suiteFile = folder.appendingPathComponent("suite.yaml").path
        let local = folder.appendingPathComponent("local"), cluster = folder.appendingPathComponent("cluster")

        let started = Date()
        let submitted = try SlurmTests.run(executable, ["suite", suiteFile, "--output", cluster.path, "--slurm", "--max-running", "2",
                                                        "--time", "5", "--cpus-per-task", "1"], in: folder)
        XCTAssertEqual(submitted.status, 0, submitted.output)
        XCTAssertTrue(submitted.output.contains("8 cells, 0 already finished, 8 to submit"), submitted.output)
        // While Slurm works, the same suite locally with one kernel thread, as each array task has.
        let localRun = try SlurmTests.run(executable, ["suite", suiteFile, "--output", local.path], in: folder, threads: 1)
        XCTAssertEqual(localRun.status, 0, localRun.output)

        let record = try JSONDecoder().decode(SlurmSubmission.self, from: Data(contentsOf: cluster.appendingPathComponent("slurm/submission.json")))
        let reportJob = try XCTUnwrap(record.reportJobID)
        XCTAssertEqual(record.arrays.map(\.array), ["0-1,4-7%2", "2-3%2"])
        let state = try SlurmTests.waitForJob(reportJob, timeout: 600)
        print("slurm: report job \(reportJob) \(state) \(String(format: "%.1f", Date().timeIntervalSince(started))) s after submission")
        let logs = SlurmTests.logs(of: cluster)
        XCTAssertEqual(state, "COMPLETED", logs)

        // Every cell ran under Slurm, in its own array task, and recorded it.
        let slurmReport = try SuiteReport(folders: [cluster]), localReport = try SuiteReport(folders: [local])
        XCTAssertEqual(slurmReport.cells.count, 8)
        XCTAssertTrue(slurmReport.unfinished.isEmpty)
        for cell in slurmReport.cells {
            let provenance = try XCTUnwrap(cell.result.provenance, cell.identifier)
            XCTAssertNotNil(provenance.slurmArrayJobID, cell.identifier)
            XCTAssertNotNil(provenance.slurmArrayTaskID, cell.identifier)
            XCTAssertEqual(provenance.threads, 1, cell.identifier)
        }
        // Bit for bit: the merged CSV the report job wrote, every cell's metrics and history, the table's values.
        XCTAssertEqual(try String(contentsOf: cluster.appendingPathComponent("results.csv"), encoding: .utf8),
                       try String(contentsOf: local.appendingPathComponent("results.csv"), encoding: .utf8))
        XCTAssertEqual(slurmReport.cells.map(\.identifier), localReport.cells.map(\.identifier))
        for (a, b) in zip(slurmReport.cells, localReport.cells) {
            XCTAssertEqual(a.result.metrics, b.result.metrics, a.identifier)
            XCTAssertEqual(a.result.history, b.result.history, a.identifier)
        }
        XCTAssertEqual(slurmReport.comparison.rows.map(\.headlines), localReport.comparison.rows.map(\.headlines))
        XCTAssertEqual(slurmReport.comparison.rows.map(\.deltaOverMetrics), localReport.comparison.rows.map(\.deltaOverMetrics))
        XCTAssertEqual(slurmReport.comparison.rows.map(\.deltaOverTasks), localReport.comparison.rows.map(\.deltaOverTasks))
        XCTAssertEqual(slurmReport.comparison.trivialRow, localReport.comparison.trivialRow)
        XCTAssertEqual(slurmReport.comparison.baselineRows.map(\.headlines), localReport.comparison.baselineRows.map(\.headlines))

        // Rerunning skips finished cells: nothing is submitted.
        let again = try SlurmTests.run(executable, ["suite", suiteFile, "--output", cluster.path, "--slurm"], in: folder)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("8 already finished, 0 to submit") && again.output.contains("nothing to submit"), again.output)
    }

    /// One cell as a two-task MPI job (`--ranks-per-cell 2`: `#SBATCH --ntasks=2`, `srun --mpi=pmix`)
    /// on the test cluster: its result equals the same cell run in one process, and its provenance
    /// records the two processes and the micro-batches.
    func testACellOnTwoRanksThroughSrunEqualsOneProcess() throws {
        guard try clusterIsUp() else { return }
        guard let executable = KillAndResumeTests.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        try """
        name: ranks
        recipe: base.yaml
        matrix:
          strategy: [pcgrad]
          seed: [0]
        baselines: false

        """.write(to: folder.appendingPathComponent("ranks.yaml"), atomically: true, encoding: .utf8)
        let suiteFile = folder.appendingPathComponent("ranks.yaml").path
        let overrides = ["budget.micro_batches=2", "budget.steps=4"]
        let local = folder.appendingPathComponent("ranks-local"), cluster = folder.appendingPathComponent("ranks-cluster")

        let refused = try SlurmTests.run(executable, ["suite", suiteFile, "--output", cluster.path, "--slurm", "--ranks-per-cell", "2"], in: folder)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("budget.micro_batches 1"), refused.output)

        let submitted = try SlurmTests.run(executable, ["suite", suiteFile] + overrides
                                           + ["--output", cluster.path, "--slurm", "--ranks-per-cell", "2", "--cpus-per-task", "1", "--time", "5"], in: folder)
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let slurmFolder = cluster.appendingPathComponent("slurm")
        let scriptName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: slurmFolder.path).first { $0.hasPrefix("cells") })
        let script = try String(contentsOf: slurmFolder.appendingPathComponent(scriptName), encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --ntasks=2") && script.contains("exec srun --mpi=pmix "), script)
        let localRun = try SlurmTests.run(executable, ["suite", suiteFile] + overrides + ["--output", local.path], in: folder, threads: 1)
        XCTAssertEqual(localRun.status, 0, localRun.output)

        let record = try JSONDecoder().decode(SlurmSubmission.self, from: Data(contentsOf: cluster.appendingPathComponent("slurm/submission.json")))
        let state = try SlurmTests.waitForJob(try XCTUnwrap(record.reportJobID), timeout: 600)
        XCTAssertEqual(state, "COMPLETED", SlurmTests.logs(of: cluster))
        let onRanks = try XCTUnwrap(try SuiteReport(folders: [cluster]).cells.first)
        let alone = try XCTUnwrap(try SuiteReport(folders: [local]).cells.first)
        XCTAssertEqual(onRanks.result.metrics, alone.result.metrics)
        XCTAssertEqual(onRanks.result.history, alone.result.history)
        XCTAssertEqual(onRanks.result.provenance?.processes, 2)
        XCTAssertEqual(onRanks.result.provenance?.microBatches, 2)
        XCTAssertEqual(alone.result.provenance?.processes, 1)
    }

    // MARK: Helpers

    /// Whether the test cluster is up (`make test` starts it through `scripts/with-slurm.sh`):
    /// outside `make test` the test is skipped; under it, a cluster that did not come up fails it.
    func clusterIsUp() throws -> Bool {
        let environment = ProcessInfo.processInfo.environment
        if let configuration = environment["SLURM_CONF"], FileManager.default.fileExists(atPath: configuration) { return true }
        if environment["TANDEM_SLURM_TEST"] == "required" {
            XCTFail("TANDEM_SLURM_TEST=required but SLURM_CONF names no file: the test cluster did not come up. "
                    + (environment["TANDEM_SLURM_START_FAILURE"] ?? "scripts/with-slurm.sh should have started it"))
            return false
        }
        throw XCTSkip("no Slurm cluster: run through `make test` (scripts/with-slurm.sh starts one as root)")
    }

    static func run(_ executable: URL, _ arguments: [String], in directory: URL, threads: Int? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        if let threads {
            environment["TANDEM_THREADS"] = "\(threads)"
            environment["OPENBLAS_NUM_THREADS"] = "\(threads)"
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Polls `scontrol show job` until the job leaves PENDING/RUNNING; returns its final state.
    static func waitForJob(_ jobID: String, timeout: TimeInterval) throws -> String {
        guard let scontrol = SlurmSubmission.findExecutable("scontrol", environment: ProcessInfo.processInfo.environment) else {
            throw CommandError("scontrol is not on PATH")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var state = "UNKNOWN"
        while Date() < deadline {
            let shown = try run(URL(fileURLWithPath: scontrol), ["show", "job", jobID], in: URL(fileURLWithPath: "/"))
            if let range = shown.output.range(of: #"JobState=(\w+)"#, options: .regularExpression) {
                state = String(shown.output[range].dropFirst("JobState=".count))
                if !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(state) { return state }
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return "TIMEOUT (last state \(state))"
    }

    static func logs(of output: URL) -> String {
        let folder = output.appendingPathComponent("slurm/logs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? []
        return names.map { name in
            "== \(name)\n" + ((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }
}
