import XCTest
import Foundation
@testable import TandemCore

/// `Trainer.restore` checks a checkpoint against the run before touching anything, and the
/// records writer reports a full disk instead of crashing.
final class TrainerRestoreTests: XCTestCase {
    let tasks = [TaskSpec(name: "a", kind: .regression(outputs: 1), role: .primary),
                 TaskSpec(name: "b", kind: .regression(outputs: 1), role: .auxiliary)]

    func makeTrainer(steps: Int = 10, optimizer: any Optimizer = SGD(momentum: 0.9), recordsURL: URL? = nil) -> Trainer {
        Trainer(model: TinyModel(taskNames: ["a", "b"]), tasks: tasks, strategy: SummingStrategy(),
                optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: optimizer, learningRate: 0.05)),
                configuration: TrainerConfiguration(steps: steps, labelSchedule: .full, recordsURL: recordsURL),
                data: TinyData(seed: 1), seed: 3)
    }

    /// The checkpoint of a trainer after three steps, with its metadata JSON edited by `edit`.
    func checkpoint(editing edit: (inout [String: Any]) -> Void = { _ in }) throws -> Checkpoint {
        let trainer = makeTrainer()
        for _ in 0..<3 { _ = try trainer.trainStep() }
        var checkpoint = try trainer.checkpoint()
        var object = try JSONSerialization.jsonObject(with: checkpoint.metadata) as! [String: Any]
        edit(&object)
        checkpoint.metadata = try JSONSerialization.data(withJSONObject: object)
        return checkpoint
    }

    func assertRefused(_ checkpoint: Checkpoint, by trainer: Trainer, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        let before = trainer.parameters["shared.w"].scalars
        XCTAssertThrowsError(try trainer.restore(from: checkpoint, source: "/runs/x/checkpoint.tandem"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("/runs/x/checkpoint.tandem: "), text, file: file, line: line)
            for word in words { XCTAssertTrue(text.contains(word), "'\(word)' missing from: \(text)", file: file, line: line) }
        }
        XCTAssertEqual(trainer.step, 0, file: file, line: line)
        XCTAssertEqual(trainer.parameters["shared.w"].scalars, before, "a refused checkpoint changed the parameters", file: file, line: line)
    }

    func testNegativeOrTooLargeStepIsRefused() throws {
        assertRefused(try checkpoint { $0["step"] = -5 }, by: makeTrainer(), mentioning: ["step -5", "0…10"])
        assertRefused(try checkpoint { $0["step"] = 11 }, by: makeTrainer(), mentioning: ["step 11"])
        assertRefused(try checkpoint { $0["optimizerSteps"] = ["shared": -1] }, by: makeTrainer(), mentioning: ["shared", "-1"])
    }

    /// A run saved with SGD + momentum and resumed with Adam used to trap inside Adam's step.
    func testResumeWithAnotherOptimizerIsRefused() throws {
        let saved = try checkpoint()
        assertRefused(saved, by: makeTrainer(optimizer: Adam()), mentioning: ["shared optimizer state", "momentum", "firstMoment", "was the optimizer changed?"])
        assertRefused(saved, by: makeTrainer(optimizer: SGD()), mentioning: ["momentum"])
        let resumed = makeTrainer()
        try resumed.restore(from: saved, source: "ok")
        XCTAssertEqual(resumed.step, 3)
    }

    func testMismatchedTensorsAreRefused() throws {
        var missing = try checkpoint()
        missing.tensors.removeAll { $0.name == "parameters.heads.b.w" }
        assertRefused(missing, by: makeTrainer(), mentioning: ["model parameters", "heads.b.w"])
        var reshaped = try checkpoint()
        let index = reshaped.tensors.firstIndex { $0.name == "parameters.shared.w" }!
        reshaped.tensors[index].tensor = Tensor.zeros([2, 2])
        assertRefused(reshaped, by: makeTrainer(), mentioning: ["'shared.w'", "[2, 2]"])
        var poisoned = try checkpoint()
        let momentum = poisoned.tensors.firstIndex { $0.name.hasPrefix("optimizer.shared.momentum|") }!
        poisoned.tensors[momentum].tensor = Tensor(shape: poisoned.tensors[momentum].tensor.shape,
                                                   scalars: [Float.nan] + [Float](repeating: 0, count: poisoned.tensors[momentum].tensor.count - 1))
        assertRefused(poisoned, by: makeTrainer(), mentioning: ["optimizer.shared.momentum|", "non-finite value at element 0", "damaged"])
        var slotless = try checkpoint()
        slotless.tensors.append(("optimizer.shared.momentum", Tensor(1)))
        assertRefused(slotless, by: makeTrainer(), mentioning: ["lacks its slot"])
    }

    /// A full disk while appending `records.jsonl` is an error naming the file (it was a crash).
    func testFullDiskWhileAppendingRecordsIsAClearError() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("needs /dev/full (Linux)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let records = folder.appendingPathComponent("records.jsonl")
        try FileManager.default.createSymbolicLink(atPath: records.path, withDestinationPath: "/dev/full")
        let trainer = makeTrainer(steps: 3, recordsURL: records)
        XCTAssertThrowsError(try trainer.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(records.path), text)
            XCTAssertTrue(text.lowercased().contains("no space left on device"), text)
        }
    }
}
