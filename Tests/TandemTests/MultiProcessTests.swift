import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// One run over several processes (`mpirun -np N tandem train`, Open MPI on loopback): for a fixed
/// `budget.micro_batches` S, N = 1, 2 and 3 processes give the same run bit for bit — records,
/// checkpoint and result — for every registered strategy; a killed rank ends the run with
/// mpirun's message and a checkpoint that resumes with another process count.
///
/// `mpirun` comes with the build dependencies (`scripts/install-dependencies.sh` installs
/// openmpi-bin with libopenmpi-dev); its absence is a failure, not a skip.
final class MultiProcessTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A model without batch norm, three tasks (one primary), S = 3 micro-batches of 4.
        try MultiProcessTests.smallRecipe(steps: 4, microBatches: 3).write(to: folder.appendingPathComponent("mlp.yaml"), atomically: true, encoding: .utf8)
        // Convolutions, batch norm (statistics per micro-batch, gathered from the ranks), all three dense losses.
        try """
        name: ranks-scenes
        seed: 3
        dataset: {name: synthetic-scenes, train: 48, validation: 16, test: 16, height: 32, width: 64}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
          - {name: normals, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.25}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 4, batch_size: 8, micro_batches: 4}
        evaluation: {every: 2, selection: last, criterion: segmentation.mIoU, batch_size: 16}

        """.write(to: folder.appendingPathComponent("scenes.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Task groups on a 16-16 MLP (no batch norm), three tasks (one primary), batch 12.
    static func smallRecipe(steps: Int, microBatches: Int) -> String {
        """
        name: ranks
        seed: 4
        dataset: {name: task-groups, train: 256, validation: 64, test: 64, seed: 0}
        tasks: [a1, {name: b1, role: auxiliary}, {name: c1, role: auxiliary}]
        model: {name: mlp, shared_widths: [16, 16], head_widths: [8]}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
        budget: {steps: \(steps), batch_size: 12, micro_batches: \(microBatches)}
        evaluation: {every: 2, selection: last, criterion: loss, batch_size: 64}

        """
    }

    static var mpirun: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Starts `tandem ARGUMENTS` as one process (`processes` nil) or under `mpirun -np N`.
    func start(_ arguments: [String], processes: Int?) throws -> (process: Process, output: Pipe) {
        guard let tandem = KillAndResumeTests.executable else {
            XCTFail("the tandem executable was not built beside the tests")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        if let processes {
            guard let mpirun = MultiProcessTests.mpirun else {
                XCTFail("mpirun is not on PATH: run scripts/install-dependencies.sh (openmpi-bin)")
                throw CocoaError(.fileNoSuchFile)
            }
            process.executableURL = mpirun
            process.arguments = ["-np", "\(processes)", "--oversubscribe", tandem.path] + arguments
        } else {
            process.executableURL = tandem
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        // CI runs as root; two cores run three ranks.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["TANDEM_THREADS"] = "1"
        process.environment = environment
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return (process, output)
    }

    func train(_ recipe: String, _ overrides: [String], output: String, processes: Int?) throws {
        try runToEnd(["train", recipe, "--output", output, "--quiet"] + overrides, processes: processes)
    }

    /// A finished run's files without the wall-clock fields: records, checkpoint, result metrics.
    func written(_ run: String) throws -> (records: [String], checkpoint: Data, metrics: Data, processes: Int?) {
        let run = folder.appendingPathComponent(run)
        let records = try String(contentsOf: run.appendingPathComponent("records.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { line -> String in
                var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                object["seconds"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("result.json"))) as! [String: Any]
        let metrics = try JSONSerialization.data(withJSONObject: [result["metrics"]!, result["history"]!], options: [.sortedKeys])
        let processes = (result["provenance"] as? [String: Any])?["processes"] as? Int
        return (records, try Data(contentsOf: run.appendingPathComponent("checkpoint.tandem")), metrics, processes)
    }

    /// Runs `tandem ARGUMENTS` in one process (`processes` nil) or under `mpirun -np N` to the end.
    @discardableResult
    func runToEnd(_ arguments: [String], processes: Int?) throws -> String {
        let (process, pipe) = try start(arguments, processes: processes)
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(processes.map { "mpirun -np \($0)" } ?? "one process") \(arguments): \(text)")
        return text
    }

    /// Trains `recipe` with each strategy in one process and over 2 and 3 — as one suite per
    /// process count (`tandem suite` under `mpirun` runs every cell on all ranks), TMT (which needs
    /// limited labels) as its own run — and returns each strategy's table row: whether records,
    /// checkpoint and result equal the one-process run's.
    func equalityTable(_ recipe: String, strategies: [String]) throws -> [String] {
        let matrix = strategies.filter { $0 != "tmt" }
        try """
        name: ranks
        recipe: \(recipe)
        matrix:
          strategy: [\(matrix.joined(separator: ", "))]
        baselines: false

        """.write(to: folder.appendingPathComponent("ranks-suite.yaml"), atomically: true, encoding: .utf8)
        var runs: [String: [Int: String]] = [:]   // strategy → process count → run folder
        for processes in [1, 2, 3] {
            let output = "\(recipe)-suite-\(processes)"
            try runToEnd(["suite", "ranks-suite.yaml", "--output", output, "--no-report"], processes: processes == 1 ? nil : processes)
            for strategy in matrix { runs[strategy, default: [:]][processes] = "\(output)/cells/strategy=\(strategy)" }
            if strategies.contains("tmt") {
                try runToEnd(["train", recipe, "strategy=tmt", "labels={parallel_fraction: 0.5, alternate_every: 2}",
                              "--output", "\(recipe)-tmt-\(processes)", "--quiet"], processes: processes == 1 ? nil : processes)
                runs["tmt", default: [:]][processes] = "\(recipe)-tmt-\(processes)"
            }
        }
        var rows: [String] = []
        for strategy in strategies {
            let one = try written(runs[strategy]![1]!)
            XCTAssertEqual(one.records.count, 4, strategy)
            var row = "| \(strategy) | reference |"
            for processes in [2, 3] {
                let many = try written(runs[strategy]![processes]!)
                XCTAssertEqual(many.processes, processes, "\(strategy): the run's provenance")
                XCTAssertEqual(many.records, one.records, "\(strategy): records with \(processes) processes")
                XCTAssertEqual(many.checkpoint, one.checkpoint, "\(strategy): checkpoint with \(processes) processes")
                XCTAssertEqual(many.metrics, one.metrics, "\(strategy): result with \(processes) processes")
                let same = many.records == one.records && many.checkpoint == one.checkpoint && many.metrics == one.metrics
                row += same ? " ✓ |" : " ✗ |"
            }
            rows.append(row)
        }
        return rows
    }

    func testEveryStrategyGivesTheSameRunOnOneTwoAndThreeProcesses() throws {
        let rows = try equalityTable("mlp.yaml", strategies: Registry.standard.strategyNames)
        XCTAssertEqual(rows.count, Registry.standard.strategyNames.count)
        print("MLP, S = 3 — strategy | N = 1 | N = 2 | N = 3 (records, checkpoint and result identical)\n" + rows.joined(separator: "\n"))
    }

    func testBatchNormAndConvolutionsGiveTheSameRunOnOneTwoAndThreeProcesses() throws {
        let rows = try equalityTable("scenes.yaml", strategies: ["ew", "pcgrad", "tmt", "auto-lambda"])
        print("SplitVGG-3 with batch norm, S = 4 — strategy | N = 1 | N = 2 | N = 3\n" + rows.joined(separator: "\n"))
    }

    func testMoreProcessesThanMicroBatchesIsRefusedWithTheReason() throws {
        let (process, pipe) = try start(["train", "mlp.yaml", "budget.micro_batches=2", "--output", "refused"], processes: 3)
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(text.contains("the run has 3 processes, but budget.micro_batches is 2"), text)
    }

    /// Rank 1 of 2 killed mid-run: mpirun ends the job naming the rank, the run folder keeps its
    /// last checkpoint, and `--resume` with 3 processes finishes the run exactly as one process
    /// would have without the kill.
    func testAKilledRankEndsTheRunAndItResumesWithAnotherProcessCount() throws {
        let overrides = ["budget.steps=400", "checkpoint_every=5", "evaluation.every=100"]
        try train("mlp.yaml", overrides, output: "whole", processes: nil)

        let (process, pipe) = try start(["train", "mlp.yaml", "--output", "killed", "--quiet"] + overrides, processes: 2)
        let checkpoint = folder.appendingPathComponent("killed/checkpoint.tandem")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path), "no checkpoint within two minutes")
        let ranks = MultiProcessTests.children(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "mpirun's children: \(ranks)")
        if let rank = ranks.last { kill(rank, SIGKILL) }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("rank 1") || text.contains("exited on signal 9"), "mpirun names the killed rank: \(text)")

        try train("mlp.yaml", overrides + ["--resume"], output: "killed", processes: 3)
        XCTAssertEqual(try written("killed").checkpoint, try written("whole").checkpoint)
        XCTAssertEqual(try written("killed").metrics, try written("whole").metrics)
    }

    /// The processes whose parent is `parent`, in ascending pid order.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }.sorted()
    }
}
