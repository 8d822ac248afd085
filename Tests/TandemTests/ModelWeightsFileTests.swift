import XCTest
import Foundation
@testable import Tandem
@testable import TandemCore

/// Weights that travel: `model.weights=FILE` starts a run from a safetensors file (the reference's
/// state-dict names or Tandem's), `tandem export` writes one from a run's checkpoint, a file
/// written by PyTorch's `safetensors` (Tests/Fixtures/models) loads, exports load again bit for
/// bit, and bad files are refused naming the recipe line, the file and the tensor.
final class ModelWeightsFileTests: XCTestCase {
    var folder: URL!
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A tiny NYUv2-shaped recipe (13 classes, 32×32) on `model`, tasks in the reference's order.
    func recipe(model: String, strategy: String = "ew", steps: Int = 2, overrides: [String] = []) throws -> Recipe {
        let text = """
        name: weights
        seed: 4
        dataset: {name: synthetic-scenes, train: 16, validation: 4, test: 4, height: 32, width: 32, seed: 2}
        tasks: [segmentation, depth, normals]
        model: \(model)
        strategy: \(strategy)
        optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}
        budget: {steps: \(steps), batch_size: 4}
        evaluation: {every: \(steps), batch_size: 4}
        output: \(folder.path)/run-\(UUID().uuidString)

        """
        let url = folder.appendingPathComponent("recipe-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path, overrides: overrides)
    }

    func testAReferenceFileWrittenByPyTorchStartsTheRun() throws {
        let file = Self.fixtures.appendingPathComponent("segnet-mtan.weights.safetensors")
        let experiment = try Experiment(recipe: recipe(model: "{name: segnet-mtan, width: 0.03125, weights: \(file.path)}"))
        let stored = try SafeTensors.read(from: file)
        let trainer = experiment.trainer
        XCTAssertEqual(trainer.parameters["shared.encoder_block.0.0.weight"].scalars, try stored.floats("segnet.encoder_block.0.0.weight").scalars)
        XCTAssertEqual(trainer.parameters["shared.encoder_att.2.4.1.scale"].scalars, try stored.floats("segnet.encoder_att.2.4.1.weight").scalars)
        XCTAssertEqual(trainer.parameters["heads.normals.pred.1.bias"].scalars, try stored.floats("segnet.pred_task3.1.bias").scalars)
        XCTAssertEqual(trainer.buffers["shared.decoder_block_att.3.1.runningVariance"].scalars, try stored.floats("segnet.decoder_block_att.3.1.running_var").scalars)
        // Per-task attention: the same file, task T's masks under heads.TASK.attention.
        let perTask = try Experiment(recipe: recipe(model: "{name: segnet-mtan, width: 0.03125, attention: per_task, weights: \(file.path)}"))
        XCTAssertEqual(perTask.trainer.parameters["heads.depth.attention.decoder_att.1.3.weight"].scalars,
                       try stored.floats("segnet.decoder_att.1.1.3.weight").scalars)
    }

    func testAnExportStartsTheSameModelAgainBitForBit() throws {
        for model in ["{name: segnet, width: 0.03125}", "{name: splitvgg, split: 3, width: 0.125}"] {
            let experiment = try Experiment(recipe: recipe(model: model))
            try experiment.run()
            let checkpoint = try Checkpoint.read(from: experiment.checkpointURL)
            let exported = try ModelWeights.stateDictionary(checkpoint: checkpoint, source: experiment.checkpointURL.path)
            let file = folder.appendingPathComponent("export-\(UUID().uuidString).safetensors")
            try exported.write(to: file)
            let isReference = model.contains("segnet")
            XCTAssertEqual(exported.entries.keys.contains("segnet.encoder_block.0.1.num_batches_tracked"), isReference, model)
            if isReference {
                XCTAssertEqual(try exported.integers("segnet.encoder_block.0.1.num_batches_tracked"), [2], "the step count")
                XCTAssertNotNil(exported.entries["segnet.pred_task2.0.weight"])
            } else {
                XCTAssertTrue(exported.names.allSatisfy { $0.hasPrefix("shared.") || $0.hasPrefix("heads.") }, "Tandem's names: \(exported.names.prefix(3))")
            }
            let restarted = try Experiment(recipe: recipe(model: String(model.dropLast()) + ", weights: \(file.path)}"))
            for name in experiment.trainer.parameters.names {
                XCTAssertEqual(restarted.trainer.parameters[name].scalars, experiment.trainer.parameters[name].scalars, "\(model): \(name)")
            }
            for name in experiment.trainer.buffers.names {
                XCTAssertEqual(restarted.trainer.buffers[name].scalars, experiment.trainer.buffers[name].scalars, "\(model): \(name)")
            }
        }
    }

    func testBadWeightFilesAreRefusedNamingTheLineFileAndTensor() throws {
        let good = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("segnet.weights.safetensors"))
        func refused(_ file: SafeTensors?, raw: [UInt8]? = nil, mentioning words: [String], line: UInt = #line) throws {
            let url = folder.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
            if let file { try file.write(to: url) } else if let raw { try Data(raw).write(to: url) }
            XCTAssertThrowsError(try Experiment(recipe: recipe(model: "{name: segnet, width: 0.03125}", overrides: ["model.weights=\(url.path)"])),
                                 "\(words)", line: line) {
                let text = "\($0)"
                for word in words + [url.path, "model.weights"] { XCTAssertTrue(text.contains(word), "'\(word)' missing from: \(text)", line: line) }
            }
        }
        var wrongShape = good
        wrongShape.entries["segnet.encoder_block.1.0.weight"] = SafeTensors.Entry(Tensor.zeros([4, 3, 3, 3]))
        try refused(wrongShape, mentioning: ["segnet.encoder_block.1.0.weight", "[4, 3, 3, 3]", "needs [4, 2, 3, 3]"])
        var missing = good
        missing.entries["segnet.pred_task2.1.bias"] = nil
        try refused(missing, mentioning: ["missing", "segnet.pred_task2.1.bias"])
        var unknown = good
        unknown.entries["segnet.encoder_att.0.0.0.weight"] = SafeTensors.Entry(Tensor.zeros([2]))
        try refused(unknown, mentioning: ["segnet.encoder_att.0.0.0.weight", "is not a parameter"])
        var integers = good
        integers.entries["segnet.decoder_block.0.1.running_mean"] = SafeTensors.Entry(integers: [1, 2], shape: [2])
        try refused(integers, mentioning: ["segnet.decoder_block.0.1.running_mean", "I64"])
        var infinite = good
        infinite.entries["segnet.conv_block_dec.2.0.1.weight"] = SafeTensors.Entry(Tensor(shape: [4], scalars: [1, .infinity, 1, 1]))
        try refused(infinite, mentioning: ["non-finite", "element 1"])
        try refused(nil, raw: Array("not a safetensors file".utf8), mentioning: ["header"])
        XCTAssertThrowsError(try Experiment(recipe: recipe(model: "{name: segnet, width: 0.03125, weights: no-such-file.safetensors}"))) {
            XCTAssertTrue("\($0)".contains("no-such-file.safetensors") && "\($0)".contains("cannot read"), "\($0)")
        }
    }

    /// Under equal weighting both conventions give every parameter the same gradient (a task's
    /// masks get that task's gradient either way), so two steps end at the same weights.
    func testPerTaskAttentionTrainsAsTheSharedConventionUnderEqualWeighting() throws {
        let shared = try Experiment(recipe: recipe(model: "{name: segnet-mtan, width: 0.0625}"))
        let perTask = try Experiment(recipe: recipe(model: "{name: segnet-mtan, width: 0.0625, attention: per_task}"))
        try shared.run()
        try perTask.run()
        let names = try XCTUnwrap(shared.referenceNames), perTaskNames = try XCTUnwrap(perTask.referenceNames)
        let byReference = Dictionary(uniqueKeysWithValues: perTaskNames.map { ($1, $0) })
        var compared = 0
        for name in shared.trainer.parameters.names {
            let other = try XCTUnwrap(byReference[names[name]!], name)
            let a = shared.trainer.parameters[name], b = perTask.trainer.parameters[other]
            XCTAssertLessThanOrEqual((a - b).norm().scalar, 1e-5 * max(a.norm().scalar, 1e-3), "\(name) ↔ \(other)")
            compared += other.contains(".attention.") ? 1 : 0
        }
        XCTAssertEqual(compared, 3 * 10 * 8, "every mask tensor of the three tasks was compared")
        XCTAssertNotEqual(perTask.trainer.parameters["heads.depth.attention.encoder_att.0.0.weight"].scalars,
                          try Experiment(recipe: recipe(model: "{name: segnet-mtan, width: 0.0625, attention: per_task}")).trainer.parameters["heads.depth.attention.encoder_att.0.0.weight"].scalars,
                          "the masks moved")
    }

    /// Every SegNet model trains a step with a Gramian strategy and a loss weighting.
    func testEverySegNetTrainsWithAGramianStrategyAndALossWeighting() throws {
        for model in ["{name: segnet, width: 0.0625}", "{name: segnet-mtan, width: 0.0625}", "{name: segnet-mtan, width: 0.0625, attention: per_task}"] {
            for strategy in ["upgrad", "mgda-ub", "uw", "dwa"] {
                let experiment = try Experiment(recipe: recipe(model: model, strategy: strategy, steps: 1))
                let before = experiment.trainer.parameters
                let record = try experiment.trainer.trainStep()
                XCTAssertTrue(record.losses.values.allSatisfy(\.isFinite), "\(model) \(strategy)")
                let moved = before.names.filter { before[$0].scalars != experiment.trainer.parameters[$0].scalars }
                XCTAssertTrue(moved.contains("shared.encoder_block.0.0.weight"), "\(model) \(strategy): the trunk moved")
                XCTAssertTrue(moved.contains { $0.hasPrefix("heads.depth.pred.") }, "\(model) \(strategy): the heads moved")
                if model.contains("mtan") {
                    XCTAssertTrue(moved.contains { $0.contains("encoder_att") }, "\(model) \(strategy): the attention masks moved")
                }
            }
        }
    }
}
