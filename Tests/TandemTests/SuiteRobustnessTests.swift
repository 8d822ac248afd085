import XCTest
import Foundation
@testable import Tandem

/// Suites under stress: a killed `--jobs 2` suite takes its children with it; one writer per cell;
/// malformed shards are refused; progress reaches a pipe as it happens; `train` prints plain
/// progress lines when its output is not a terminal.
final class SuiteRobustnessTests: XCTestCase {
    var folder: URL!
    var suiteFile: String { folder.appendingPathComponent("suite.yaml").path }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-robust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func executable() throws -> URL {
        try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
    }

    /// Polls `condition` every 0.1 s until it holds or `timeout` passes; returns whether it held.
    func eventually(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    func testKillingTheSuiteStopsItsChildren() throws {
        let suite = try Suite.load(suiteFile, overrides: ["budget.steps=1000000"])
        let cells = try suite.cells()
        let output = folder.appendingPathComponent("killed")
        let runner = SuiteRunner(suite: suite, outputFolder: output)
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["suite", suiteFile, "--jobs", "2", "--output", output.path, "budget.steps=1000000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let training = [runner.folder(of: cells[0]), runner.folder(of: cells[1])]
        XCTAssertTrue(eventually(timeout: 120) { training.allSatisfy(RunFolderLock.isHeld) }, "the two children never started training")
        let children = training.compactMap(RunFolderLock.holder(of:))
        XCTAssertEqual(children.count, 2)
        XCTAssertFalse(children.contains(process.processIdentifier), "cells must train in child processes")
        defer { for child in children { kill(child, SIGKILL) } }   // leave nothing behind if the test fails

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Each child gets SIGTERM from the kernel when its parent dies; its lock goes with it.
        XCTAssertTrue(eventually(timeout: 60) { !training.contains(where: RunFolderLock.isHeld) },
                      "children \(children) still hold their cells after the suite was killed")
        for child in children {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            XCTAssertTrue(state == nil || state == "Z", "child \(child) is still alive (state \(state ?? "?"))")
        }
    }

    func testOneWriterPerCell() throws {
        let suite = try Suite.load(suiteFile)
        let cells = try suite.cells()
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("locked"))
        let held = try RunFolderLock(folder: runner.folder(of: cells[0]))

        // A second lock, and a run of the same folder, are refused while the first is held.
        XCTAssertThrowsError(try RunFolderLock(folder: runner.folder(of: cells[0]))) { error in
            XCTAssertTrue("\(error)".contains("is being written by another run (pid \(getpid())"), "\(error)")
        }
        let recipe = try Recipe.load(suite.recipePath, overrides: cells[0].overrides)
        XCTAssertThrowsError(try Experiment(recipe: recipe, outputFolder: runner.folder(of: cells[0])).run(resume: true)) { error in
            XCTAssertTrue("\(error)".contains("being written by another run"), "\(error)")
        }
        // The suite leaves the locked cell to its writer, runs the others, and says so.
        var log: [String] = []
        XCTAssertThrowsError(try runner.run(Array(cells.prefix(2)), jobs: 1, executable: "") { log.append($0) }) { error in
            XCTAssertTrue("\(error)".contains("strategy=ew,seed=0 (being run by another process)"), "\(error)")
        }
        XCTAssertTrue(log.contains { $0.contains("strategy=ew,seed=0: already being run by another process (pid \(getpid()))") }, "\(log)")
        XCTAssertFalse(runner.isFinished(cells[0]))
        XCTAssertTrue(runner.isFinished(cells[1]))

        held.release()
        try runner.run(Array(cells.prefix(2)), jobs: 1, executable: "") { _ in }
        XCTAssertTrue(runner.isFinished(cells[0]))
        XCTAssertFalse(RunFolderLock.isHeld(runner.folder(of: cells[0])), "a finished run releases its lock")
    }

    func testShardsAreParsedStrictly() throws {
        XCTAssertEqual(try SuiteShard(parsing: "1/2"), try SuiteShard(index: 1, count: 2))
        XCTAssertEqual(try SuiteShard(parsing: "4/4").index, 4)
        for bad in ["1/x/2", "1/2/3", "0/2", "3/2", "1/", "/2", "a/b", "1//2", "+1/2", " 1/2", "1/2 ", "1", "-1/2", "1/0"] {
            XCTAssertThrowsError(try SuiteShard(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("'\(bad)'"), "\(error)")
            }
        }
        let refused = try SlurmTests.run(try executable(), ["suite", suiteFile, "--shard", "1/x/2", "--output", folder.appendingPathComponent("x").path], in: folder)
        XCTAssertEqual(refused.status, 2, refused.output)
        XCTAssertTrue(refused.output.contains("--shard must be i/n") && refused.output.contains("'1/x/2'"), refused.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x/cells").path), "nothing may run")
    }

    /// With stdout a pipe, the first cell's "finished" line (with its time and the ETA) must arrive
    /// while the suite is still running, not when it exits.
    func testSuiteProgressReachesAPipeAtOnce() throws {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["suite", suiteFile, "--output", folder.appendingPathComponent("piped").path, "budget.steps=400"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var text = ""
        while !text.contains("finished in") {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        XCTAssertTrue(process.isRunning, "the first progress line arrived only when the suite ended:\n\(text)")
        XCTAssertTrue(text.contains("[1/8] strategy=ew,seed=0 started"), text)
        XCTAssertNotNil(text.range(of: #"\[1/8\] strategy=ew,seed=0 finished in [0-9.]+ s — 1 of 8 done, ETA [0-9]+:[0-9]{2}"#,
                                   options: .regularExpression), text)
        XCTAssertFalse(text.contains("Suite tiny:"), "the table came before the run ended:\n\(text)")
    }

    func testProgressLinesAreIsolatedFromTimings() {
        var clock = Date(timeIntervalSince1970: 0)
        var progress = SuiteProgress(total: 3, jobs: 2, now: { clock })
        XCTAssertEqual(progress.started("a"), "[1/3] a started")
        XCTAssertEqual(progress.started("b"), "[2/3] b started")
        clock = clock.addingTimeInterval(10)
        XCTAssertEqual(progress.finished("a"), "[1/3] a finished in 10.0 s — 1 of 3 done, ETA 0:10")
        clock = clock.addingTimeInterval(20)
        XCTAssertEqual(progress.failed("b", status: 1), "[2/3] b FAILED (exit 1) after 30.0 s — 2 of 3 done, ETA 0:20")
        XCTAssertEqual(progress.started("c"), "[3/3] c started")
        clock = clock.addingTimeInterval(65)
        XCTAssertEqual(progress.finished("c"), "[3/3] c finished in 65.0 s — 3 of 3 done")
    }

    func testTrainPrintsPlainLinesWhenNotOnATerminal() throws {
        let ran = try SlurmTests.run(try executable(), ["train", folder.appendingPathComponent("base.yaml").path, "--output",
                                                        folder.appendingPathComponent("train").path, "--progress-every", "3"], in: folder)
        XCTAssertEqual(ran.status, 0, ran.output)
        let lines = ran.output.split(separator: "\n").filter { $0.hasPrefix("step ") }
        XCTAssertEqual(lines.map { String($0.split(separator: " ")[1]) }, ["3/8", "6/8", "8/8"], ran.output)
        XCTAssertTrue(lines.allSatisfy { $0.contains("segmentation ") && $0.contains("step/s") && $0.contains("ETA ") }, ran.output)
        XCTAssertFalse(ran.output.contains("\r"), "no terminal control characters in a pipe")
    }
}
