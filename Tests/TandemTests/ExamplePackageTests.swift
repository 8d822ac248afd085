import XCTest
import Foundation
import Tandem

/// Builds the downstream package in Examples/CustomStrategy — which defines its own strategies
/// outside Tandem and whose `main.swift` is one call to `TandemCommand.main(registry:)` — and runs
/// Tandem's commands through its executable: `train`, `list`, a `suite` whose child processes must
/// be that executable (`tandem` does not know its strategies), and `suite --slurm --dry-run`, whose
/// job scripts must run that executable too.
final class ExamplePackageTests: XCTestCase {
    static let customStrategies = ["log-loss-sum", "norm-equalised", "cosine-discount", "auxiliary-lookahead-gate"]

    func testDownstreamCommandLineTrainsAndRunsSuites() throws {
        let repository = KillAndResumeTests.repository
        let example = repository.appendingPathComponent("Examples/CustomStrategy")
        guard FileManager.default.fileExists(atPath: KillAndResumeTests.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        let swift = ["/opt/swift/usr/bin/swift", "/usr/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swift"
        let scratch = repository.appendingPathComponent(".build/examples")
        let build = try run(swift, ["build", "-c", "release", "--package-path", example.path, "--scratch-path", scratch.path], in: example)
        XCTAssertEqual(build.status, 0, build.output)
        // The path the running executable sees as itself (/proc/self/exe resolves the symlinks).
        let binary = scratch.appendingPathComponent("release/CustomStrategy").resolvingSymlinksInPath().path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-example-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }

        let listing = try run(binary, ["list", "strategies"], in: example)
        XCTAssertEqual(listing.status, 0, listing.output)
        for name in Self.customStrategies + ["ew", "pcgrad"] {
            XCTAssertTrue(listing.output.contains("\n\(name) ") || listing.output.hasPrefix("\(name) "), "`list strategies` lacks \(name):\n\(listing.output)")
        }

        let run = work.appendingPathComponent("train")
        let training = try self.run(binary, ["train", "recipe.yaml", "--quiet", "--output", run.path, "budget.steps=20"], in: example)
        XCTAssertEqual(training.status, 0, training.output)
        XCTAssertTrue(training.output.contains("test left: accuracy"), training.output)
        let records = try String(contentsOf: run.appendingPathComponent("records.jsonl"), encoding: .utf8)
        XCTAssertTrue(records.contains("\"scale.left\""), "the strategy's reports are recorded")

        // Two parallel children per cell: each is this executable running `train`.
        let suiteOutput = work.appendingPathComponent("suite")
        let suite = try self.run(binary, ["suite", "suite.yaml", "budget.steps=4", "--jobs", "2", "--output", suiteOutput.path], in: example)
        XCTAssertEqual(suite.status, 0, suite.output)
        for name in Self.customStrategies {
            XCTAssertTrue(suite.output.contains(name), "the suite's table lacks \(name):\n\(suite.output)")
            let cell = suiteOutput.appendingPathComponent("cells/strategy=\(name),seed=0")
            XCTAssertTrue(FileManager.default.fileExists(atPath: cell.appendingPathComponent("train.log").path), "\(cell.path) was not run by a child process")
            XCTAssertTrue(FileManager.default.fileExists(atPath: cell.appendingPathComponent("result.json").path), "\(cell.path) has no result")
        }
        let report = try String(contentsOf: suiteOutput.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("auxiliary-lookahead-gate"), report)

        // The Slurm scripts (written, not submitted) run this executable, not `tandem`.
        let slurmOutput = work.appendingPathComponent("slurm")
        let dryRun = try self.run(binary, ["suite", "suite.yaml", "--slurm", "--dry-run", "--output", slurmOutput.path], in: example)
        XCTAssertEqual(dryRun.status, 0, dryRun.output)
        let record = try JSONDecoder().decode(SlurmSubmission.self, from: Data(contentsOf: slurmOutput.appendingPathComponent("slurm/dry-run.json")))
        XCTAssertFalse(record.arrays.isEmpty)
        for array in record.arrays {
            let script = try String(contentsOfFile: array.script, encoding: .utf8)
            XCTAssertTrue(script.contains(SlurmJobArrays.quoted(binary) + " suite "), script)
            XCTAssertTrue(script.contains("# Written by `CustomStrategy suite --slurm`"), script)
        }
        let reportScript = try String(contentsOfFile: record.reportScript, encoding: .utf8)
        XCTAssertTrue(reportScript.contains(SlurmJobArrays.quoted(binary) + " report "), reportScript)
    }

    func run(_ executable: String, _ arguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
