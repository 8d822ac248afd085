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

    /// Runs `recipePath` straight through into `FOLDER/straight`, then again into
    /// `FOLDER/interrupted`, SIGKILLed once it has written a checkpoint and gone on training, and
    /// resumed with `--resume`; returns both folders and the checkpoint the resume started from.
    func killAndResume(_ executable: URL, recipePath: String, in folder: URL) throws -> (straight: URL, interrupted: URL, killedAt: Checkpoint) {
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
        let killedAt = try Checkpoint.read(from: checkpoint)

        let resumed = try train(executable, ["train", recipePath, "--quiet", "--resume", "--output", interrupted.path])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        return (straight, interrupted, killedAt)
    }

    /// The same result, history, final checkpoint (every tensor, the trainer's state and the
    /// recipe) and step records (all but their timing) in both run folders.
    func assertIdenticalRuns(_ a: URL, _ b: URL, steps: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let decoder = JSONDecoder()
        let resultA = try decoder.decode(Experiment.Result.self, from: Data(contentsOf: a.appendingPathComponent("result.json")))
        let resultB = try decoder.decode(Experiment.Result.self, from: Data(contentsOf: b.appendingPathComponent("result.json")))
        XCTAssertEqual(resultA.metrics, resultB.metrics, file: file, line: line)
        XCTAssertEqual(resultA.history, resultB.history, file: file, line: line)
        let finalA = try Checkpoint.read(from: a.appendingPathComponent("checkpoint.tandem"))
        let finalB = try Checkpoint.read(from: b.appendingPathComponent("checkpoint.tandem"))
        XCTAssertEqual(finalA.tensors.map(\.name), finalB.tensors.map(\.name), file: file, line: line)
        for (x, y) in zip(finalA.tensors, finalB.tensors) { XCTAssertEqual(x.tensor.scalars, y.tensor.scalars, x.name, file: file, line: line) }
        XCTAssertEqual(finalA.metadata, finalB.metadata, "trainer state (strategy and sampler state, history)", file: file, line: line)
        XCTAssertEqual(finalA.attributes, finalB.attributes, file: file, line: line)
        // The step records of the resumed run continue where the checkpoint left off: one per step.
        func records(_ folder: URL) throws -> [StepRecord] {
            try String(contentsOf: folder.appendingPathComponent("records.jsonl"), encoding: .utf8).split(separator: "\n").map {
                var record = try decoder.decode(StepRecord.self, from: Data($0.utf8))
                record.seconds = 0
                return record
            }
        }
        let recordsA = try records(a), recordsB = try records(b)
        XCTAssertEqual(recordsB.count, steps, file: file, line: line)
        XCTAssertEqual(recordsA, recordsB, file: file, line: line)
    }

    func testKilledRunResumesToIdenticalNumbers() throws {
        guard FileManager.default.fileExists(atPath: Self.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        guard let executable = Self.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let runs = try killAndResume(executable, recipePath: try recipe(in: folder), in: folder)
        try assertIdenticalRuns(runs.straight, runs.interrupted, steps: 1500)
    }

    /// TMT under SIGKILL: φ (the meta-parameters Λ and U, drawn lazily once C is known), its Adam
    /// state and the meta-step counter survive a kill between checkpoints, with k = 3 and a
    /// checkpoint every 7 steps so the resume starts between two meta steps.
    func testKilledTMTRunResumesToIdenticalNumbers() throws {
        guard let executable = Self.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-resume-tmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let recipePath = folder.appendingPathComponent("tmt.yaml").path
        try """
        name: resume-tmt
        seed: 4
        dataset: {name: synthetic-scenes, train: 64, validation: 16, test: 16, height: 32, width: 32, seed: 1}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: {name: tmt, rank: 2}
        labels: {parallel_fraction: 0.25, alternate_every: 3}
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, schedule: half_at_midpoint}
        budget: {steps: 600, batch_size: 4}
        evaluation: {every: 100, selection: best, criterion: segmentation.mIoU, batch_size: 16}
        checkpoint_every: 7

        """.write(toFile: recipePath, atomically: true, encoding: .utf8)
        let runs = try killAndResume(executable, recipePath: recipePath, in: folder)

        // The resume started mid-run from a checkpoint holding TMT's state.
        struct Saved: Decodable { var step: Int; var strategyState: StrategyState }
        func state(_ checkpoint: Checkpoint) throws -> (step: Int, metaSteps: UInt64, phi: [String: [Double]]) {
            let saved = try JSONDecoder().decode(Saved.self, from: checkpoint.metadata)
            let words = saved.strategyState.words
            let counter = try XCTUnwrap(words.first { $0.key.hasSuffix("metaSteps") }?.value.first, "no meta-step counter in \(words.keys)")
            return (saved.step, counter, saved.strategyState.numbers.filter { $0.key.contains("meta.") })
        }
        let killed = try state(runs.killedAt)
        XCTAssertGreaterThan(killed.step, 0)
        XCTAssertLessThan(killed.step, 600)
        XCTAssertEqual(killed.step % 7, 0)
        XCTAssertEqual(Int(killed.metaSteps), killed.step / 3, "one meta step every k = 3 steps")
        XCTAssertFalse(killed.phi.isEmpty, "φ is not in the checkpoint")
        XCTAssertTrue(runs.killedAt.tensors.contains { $0.name.hasPrefix("optimizer.meta.") }, "φ's optimiser state is not in the checkpoint")

        try assertIdenticalRuns(runs.straight, runs.interrupted, steps: 600)
        let final = try state(try Checkpoint.read(from: runs.interrupted.appendingPathComponent("checkpoint.tandem")))
        XCTAssertEqual(final.metaSteps, 200)
        XCTAssertEqual(Set(final.phi.keys), Set(killed.phi.keys))
        XCTAssertNotEqual(final.phi, killed.phi, "φ did not move after the resume")
    }

    /// Augmented training (scale-crop and flip of the scenes, `augmentation: true`) continues after
    /// a kill exactly as an uninterrupted run: each sample's draws depend only on the run seed and
    /// the batch position, which the checkpoint keeps.
    func testKilledAugmentedRunResumesToIdenticalNumbers() throws {
        guard let executable = Self.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-resume-augmented-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let recipePath = folder.appendingPathComponent("augmented.yaml").path
        try """
        name: resume-augmented
        seed: 2
        dataset: {name: synthetic-scenes, train: 48, validation: 8, test: 8, height: 32, width: 32, seed: 1, augmentation: true}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 240, batch_size: 4}
        evaluation: {every: 80, selection: last, criterion: segmentation.mIoU, batch_size: 8}
        checkpoint_every: 7

        """.write(toFile: recipePath, atomically: true, encoding: .utf8)
        let runs = try killAndResume(executable, recipePath: recipePath, in: folder)
        struct Saved: Decodable { var step: Int }
        let killedStep = try JSONDecoder().decode(Saved.self, from: runs.killedAt.metadata).step
        XCTAssertGreaterThan(killedStep, 0)
        XCTAssertLessThan(killedStep, 240)
        try assertIdenticalRuns(runs.straight, runs.interrupted, steps: 240)
    }
}
