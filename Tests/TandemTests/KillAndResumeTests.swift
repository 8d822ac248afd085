import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// Interrupts a real `tandem train` process with SIGKILL and checks that `--resume` finishes with
/// exactly the numbers of an uninterrupted run.
final class KillAndResumeTests: XCTestCase {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    /// The MNIST and digits samples inside the repository (`data/`, see its README).
    static var sampleData: URL { repository.appendingPathComponent("data") }

    /// The `tandem` binary built beside this test bundle.
    static var executable: URL? {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("tandem")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    func recipe(in folder: URL) throws -> String {
        let text = """
        name: resume
        dataset: {name: multimnist, images: \(Self.sampleData.path)/mnist5k-images-idx3-ubyte, labels: \(Self.sampleData.path)/mnist5k-labels-idx1-ubyte, train: 2000, validation: 500, test: 500}
        tasks: [left, {name: right, role: auxiliary}]
        model: {name: mlp, shared_widths: [256, 256], head_widths: [128]}
        strategy: uw
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 1500, batch_size: 64}
        evaluation: {every: 250, selection: best, criterion: left.accuracy}
        checkpoint_every: 25

        """
        let url = folder.appendingPathComponent("resume.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func train(_ executable: URL, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testKilledRunResumesToIdenticalNumbers() throws {
        guard FileManager.default.fileExists(atPath: Self.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        guard let executable = Self.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let recipePath = try recipe(in: folder)
        let straight = folder.appendingPathComponent("straight"), interrupted = folder.appendingPathComponent("interrupted")

        let reference = try train(executable, ["train", recipePath, "--quiet", "--output", straight.path])
        reference.waitUntilExit()
        XCTAssertEqual(reference.terminationStatus, 0)

        // Kill the second run once it has written a checkpoint and gone on training.
        let victim = try train(executable, ["train", recipePath, "--quiet", "--output", interrupted.path])
        let checkpoint = interrupted.appendingPathComponent("checkpoint.tandem")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && victim.isRunning && Date() < deadline { usleep(2_000) }
        usleep(30_000)
        XCTAssertTrue(victim.isRunning, "the run finished before it could be interrupted; make it longer")
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        XCTAssertEqual(victim.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("result.json").path))

        let resumed = try train(executable, ["train", recipePath, "--quiet", "--resume", "--output", interrupted.path])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)

        let decoder = JSONDecoder()
        let a = try decoder.decode(Experiment.Result.self, from: Data(contentsOf: straight.appendingPathComponent("result.json")))
        let b = try decoder.decode(Experiment.Result.self, from: Data(contentsOf: interrupted.appendingPathComponent("result.json")))
        XCTAssertEqual(a.metrics, b.metrics)
        XCTAssertEqual(a.history, b.history)
        let finalA = try Checkpoint.read(from: straight.appendingPathComponent("checkpoint.tandem"))
        let finalB = try Checkpoint.read(from: checkpoint)
        XCTAssertEqual(finalA.tensors.map(\.name), finalB.tensors.map(\.name))
        for (x, y) in zip(finalA.tensors, finalB.tensors) { XCTAssertEqual(x.tensor.scalars, y.tensor.scalars, x.name) }
        // The step records of the resumed run continue where the checkpoint left off: one per step.
        let lines = try String(contentsOf: interrupted.appendingPathComponent("records.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1500)
    }
}
