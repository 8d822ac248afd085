import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// The trainer's data source: prefetching on a background thread changes nothing but the time,
/// and damaged NYUv2 / CityScapes trees are errors naming the file — never a crash.
final class DatasetTrainingSourceTests: XCTestCase {
    var folder: URL!
    let (h, w) = (32, 32)

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-source-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// An NYUv2 tree: 6 training and 4 validation samples of 32×32 with varied values.
    func writeTree() throws {
        for (split, count) in [("train", 6), ("val", 4)] {
            let base = folder.appendingPathComponent("nyu/\(split)")
            for i in 0..<count {
                try NpyArray(shape: [h, w, 3], float32: (0..<(h * w * 3)).map { Float(($0 * 7 + i * 13) % 100) / 100 })
                    .write(to: base.appendingPathComponent("image/\(i).npy"))
                try NpyArray(shape: [h, w], float64: (0..<(h * w)).map { Double(($0 / 37 + i) % 14) - 1 })
                    .write(to: base.appendingPathComponent("label/\(i).npy"))
                try NpyArray(shape: [h, w, 1], float32: (0..<(h * w)).map { Float($0 % 50) / 10 })
                    .write(to: base.appendingPathComponent("depth/\(i).npy"))
                var normal = [Float](repeating: 0, count: h * w * 3)
                for p in 0..<(h * w) where p % 9 != 0 { normal[p * 3 + (p % 3)] = 1 }
                try NpyArray(shape: [h, w, 3], float32: normal).write(to: base.appendingPathComponent("normal/\(i).npy"))
            }
        }
    }

    func recipe(_ extra: String = "") throws -> String {
        let url = folder.appendingPathComponent("nyu.yaml")
        try """
        dataset: {name: nyuv2, root: nyu}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.05}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.01}
        budget: {steps: 6, batch_size: 2}
        evaluation: {every: 3, batch_size: 2}
        output: \(folder.appendingPathComponent("run").path)
        \(extra)
        """.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The shape of a tree member of this test's 32×32 trees.
    static func shape(of member: String) -> [Int] {
        member.contains("label") ? [32, 32] : member.contains("depth") ? [32, 32, 1] : [32, 32, 3]
    }

    /// A version-1 `.npy` file with the given header dictionary and no data.
    static func rawNpy(_ dictionary: String) -> Data {
        var header = Array(dictionary.utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header)
    }

    func source(_ bundle: DatasetBundle, prefetch: Int, availability: LabelAvailability? = nil) throws -> DatasetTrainingSource {
        try DatasetTrainingSource(bundle: bundle, availability: availability, batchSize: 2, evaluationBatchSize: 3, seed: 5, prefetchCapacity: prefetch)
    }

    func scenes() throws -> DatasetBundle {
        var options = SyntheticScenesOptions(count: 20, height: 8, width: 8, seed: 2, classCount: 13)
        options.imageNoise = 0.01
        let scenes = try MaterializedDataset(try SyntheticScenes(options: options))
        return DatasetBundle(dataset: scenes, splits: DatasetSplits(train: Array(0..<14), validation: Array(14..<17), test: Array(17..<20)))
    }

    /// Batch n of each kind is the same with and without the background thread, in any
    /// interleaving of kinds, and after a save/restore.
    func testPrefetchingGivesTheSameBatchesAsDirectReading() throws {
        let bundle = try scenes()
        let availability = try LabelAvailability(trainingIndices: bundle.trainingIndices, primaryTasks: ["segmentation"],
                                                 auxiliaryTasks: ["depth", "normals"], parallelFraction: 0.5, seed: 1)
        let kinds: [BatchKind] = [.auxiliaryOnly, .auxiliaryOnly, .parallel, .auxiliaryOnly, .full, .parallel, .parallel, .auxiliaryOnly, .full]
        func draw(_ source: DatasetTrainingSource) -> [[Float]] {
            kinds.map { kind in
                let batch = source.nextBatch(kind)
                return batch.input.scalars + batch.targets.keys.sorted().flatMap { batch.targets[$0]!.scalars }
            }
        }
        let direct = try source(bundle, prefetch: 0, availability: availability)
        let expected = draw(direct)
        for capacity in [1, 2, 4] {
            let prefetched = try source(bundle, prefetch: capacity, availability: availability)
            XCTAssertEqual(draw(prefetched), expected, "capacity \(capacity)")
            XCTAssertNil(prefetched.failure)
        }
        // Resume mid-stream: a fresh source restored from the first one's state continues identically.
        let first = try source(bundle, prefetch: 2, availability: availability)
        for kind in kinds.prefix(4) { _ = first.nextBatch(kind) }
        let state = first.saveState()
        let continued = kinds.dropFirst(4).map { first.nextBatch($0).input.scalars }
        let resumed = try source(bundle, prefetch: 2, availability: availability)
        _ = resumed.nextBatch(.full)  // a stream already running is replaced on restore
        try resumed.restoreState(state)
        XCTAssertEqual(kinds.dropFirst(4).map { resumed.nextBatch($0).input.scalars }, continued)
        XCTAssertThrowsError(try resumed.restoreState(StrategyState(words: ["drawn.full": [UInt64.max]])))
    }

    /// A whole run gives bit-identical results with prefetching on and off.
    func testTrainingWithPrefetchingMatchesDirectReading() throws {
        try writeTree()
        let recipe = try Recipe.load(try recipe())
        func train(prefetch: Int) throws -> [Float] {
            let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("run-\(prefetch)"))
            let data = try DatasetTrainingSource(bundle: experiment.data.bundle, availability: nil, batchSize: 2,
                                                 evaluationBatchSize: 2, seed: recipe.seed, prefetchCapacity: prefetch)
            let trainer = Trainer(model: experiment.trainer.model, tasks: experiment.tasks, strategy: experiment.trainer.strategy,
                                  optimizers: experiment.trainer.optimizers, configuration: experiment.trainer.configuration,
                                  data: data, metrics: StandardMetrics.accumulator(for:), seed: recipe.seed)
            try trainer.run()
            return trainer.parameters.names.flatMap { trainer.parameters[$0].scalars }
        }
        XCTAssertEqual(try train(prefetch: 0), try train(prefetch: 3))
    }

    /// Each damage to a tree member — when the tree is opened, when the validation split is read,
    /// or in the middle of training — ends in an error naming that file; none crashes.
    func testDamagedTreesAreErrorsNamingTheFile() throws {
        try writeTree()
        let recipePath = try recipe()
        let members = ["train/image/3.npy", "train/label/4.npy", "train/depth/5.npy", "train/normal/2.npy", "val/label/1.npy", "val/image/3.npy"]
        let good = try Dictionary(uniqueKeysWithValues: members.map { ($0, try Data(contentsOf: folder.appendingPathComponent("nyu/\($0)"))) })
        let damages: [(String, (Data, String) -> Data)] = [
            ("empty", { _, _ in Data() }),
            ("truncated header", { data, _ in data.prefix(20) }),
            ("truncated data", { data, _ in data.prefix(data.count - 3) }),
            ("wrong shape", { _, member in NpyWriter.encode(NpyArray(shape: [5, 5, 3], float32: [Float](repeating: 0, count: 75))) }),
            ("bad magic", { data, _ in var d = data; d[1] = 0x41; return d }),
            ("huge shape", { _, _ in Self.rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }") }),
            ("bool", { _, member in
                let shape = Self.shape(of: member)
                return NpyWriter.encode(NpyArray(shape: shape, bool: [Bool](repeating: false, count: shape.reduce(1, *)))) }),
            ("labels out of range / NaN", { _, member in
                if member.contains("label") { return NpyWriter.encode(NpyArray(shape: [32, 32], int64: [Int64](repeating: 40, count: 1024))) }
                if member.contains("depth") { return NpyWriter.encode(NpyArray(shape: [32, 32, 1], float32: [Float](repeating: .nan, count: 1024))) }
                return NpyWriter.encode(NpyArray(shape: [32, 32, 3], float32: [Float](repeating: .nan, count: 3072))) }),
            ("flipped payload bits", { data, _ in var d = data; for k in stride(from: d.count - 1, to: d.count - 400, by: -7) { d[k] ^= 0xFF }; return d }),
        ]
        var outcomes: [String] = []
        for member in members {
            for (damage, make) in damages {
                let url = folder.appendingPathComponent("nyu/\(member)")
                try make(good[member]!, member).write(to: url)
                defer { try? good[member]!.write(to: url) }
                do {
                    let experiment = try Experiment(recipe: Recipe.load(recipePath))
                    try experiment.run()
                    // Only damage that leaves a valid file can train through: depth NaNs read as invalid (0).
                    outcomes.append("\(member) \(damage): trained")
                } catch {
                    let text = "\(error)"
                    XCTAssertTrue(text.contains(url.path), "\(member) / \(damage): the error does not name the file: \(text)")
                    XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
                    outcomes.append("\(member) \(damage): refused")
                }
            }
        }
        let trained = outcomes.filter { $0.hasSuffix("trained") }
        // Flipped bits inside float payloads can leave valid numbers; everything else is refused.
        XCTAssertTrue(trained.allSatisfy { $0.contains("flipped payload bits") || $0.contains("depth/5.npy labels out of range / NaN") }, "\(trained)")
    }

    /// A file damaged after the run has started stops it at the step that needs it, with the
    /// file's name, and keeps the last good checkpoint.
    func testDamageFoundDuringTrainingStopsTheRunBeforeCheckpointing() throws {
        try writeTree()
        let recipe = try Recipe.load(try recipe("checkpoint_every: 1"))
        let experiment = try Experiment(recipe: recipe)
        // Damage every training label now: the tree was checked when it was opened.
        for i in 0..<6 {
            try NpyWriter.encode(NpyArray(shape: [h, w], int64: [Int64](repeating: 99, count: h * w)))
                .write(to: folder.appendingPathComponent("nyu/train/label/\(i).npy"))
        }
        XCTAssertThrowsError(try experiment.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("training stopped"), text)
            XCTAssertTrue(text.contains("nyu/train/label/"), text)
            XCTAssertTrue(text.contains("99"), text)
        }
        // The failing step was never checkpointed: no checkpoint at all, or one at an earlier step.
        XCTAssertNotNil(experiment.data.failure)
        XCTAssertFalse(FileManager.default.fileExists(atPath: experiment.checkpointURL.path))
    }

    func testMismatchedValidationResolutionIsRefused() throws {
        try writeTree()
        for i in 0..<4 {
            let base = folder.appendingPathComponent("nyu/val")
            try NpyArray(shape: [16, 16, 3], float32: [Float](repeating: 0, count: 768)).write(to: base.appendingPathComponent("image/\(i).npy"))
            try NpyArray(shape: [16, 16], int64: [Int64](repeating: 0, count: 256)).write(to: base.appendingPathComponent("label/\(i).npy"))
            try NpyArray(shape: [16, 16, 1], float32: [Float](repeating: 1, count: 256)).write(to: base.appendingPathComponent("depth/\(i).npy"))
            try NpyArray(shape: [16, 16, 3], float32: [Float](repeating: 1, count: 768)).write(to: base.appendingPathComponent("normal/\(i).npy"))
        }
        XCTAssertThrowsError(try Experiment(recipe: Recipe.load(try recipe()))) { error in
            XCTAssertTrue("\(error)".contains("validation inputs have shape [3, 16, 16], the training inputs [3, 32, 32]"), "\(error)")
        }
    }
}
