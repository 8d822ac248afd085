import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// Round 3: a checkpoint is bound to the recipe and the training data it was trained for, not only
/// to a checksum of itself. A checkpoint whose recipe attributes were removed (CRC recomputed),
/// one without the data fingerprint, and a resume after the training files changed are refused,
/// naming the file, and nothing in the run folder is changed.
final class CheckpointBindingTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-binding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testResumeNeedsTheRecipeAndDataTheCheckpointWasTrainedFor() throws {
        try NYUv2TreeFixture.writeTree(into: folder)
        let recipe = try NYUv2TreeFixture.writeRecipe(into: folder)
        try Experiment(recipe: recipe).run()
        let experiment = try Experiment(recipe: recipe)
        let original = try Data(contentsOf: experiment.checkpointURL)
        let saved = try Checkpoint.read(from: experiment.checkpointURL)
        XCTAssertNotNil(saved.attributes[TrainingDataFingerprint.attribute])

        func assertRefused(_ checkpoint: Checkpoint, mentioning phrase: String, line: UInt = #line) throws {
            let written = try checkpoint.encoded()   // a valid CRC over the altered contents
            try written.write(to: experiment.checkpointURL)
            XCTAssertThrowsError(try Experiment(recipe: recipe).run(resume: true), line: line) {
                XCTAssertTrue("\($0)".contains("checkpoint.tandem") && "\($0)".contains(phrase), "\($0)", line: line)
            }
            XCTAssertEqual(try Data(contentsOf: experiment.checkpointURL), written, "the refused checkpoint is kept", line: line)
        }
        var withoutRecipe = saved
        withoutRecipe.attributes = withoutRecipe.attributes.filter { !$0.key.hasPrefix("recipe.") }
        try assertRefused(withoutRecipe, mentioning: "records no recipe")
        var withoutData = saved
        withoutData.attributes[TrainingDataFingerprint.attribute] = nil
        try assertRefused(withoutData, mentioning: "does not record the training data")

        // The training data changed between the run and the resume: one training image replaced.
        try original.write(to: experiment.checkpointURL)
        let image = folder.appendingPathComponent("nyu/train/image/3.npy")
        try NpyArray(shape: [32, 32, 3], float32: [Float](repeating: 0.5, count: 32 * 32 * 3)).write(to: image)
        XCTAssertThrowsError(try Experiment(recipe: recipe).run(resume: true)) {
            XCTAssertTrue("\($0)".contains("the training data changed since the checkpoint was written"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: experiment.checkpointURL), original)
    }

    func testTheFingerprintCoversEveryTrainingValueAndOnlyTheTrainingSplit() throws {
        try NYUv2TreeFixture.writeTree(into: folder)
        let recipe = try NYUv2TreeFixture.writeRecipe(into: folder)
        let before = TrainingDataFingerprint.text(of: try Experiment(recipe: recipe).data.bundle)
        XCTAssertTrue(before.hasPrefix("nyuv2") || before.contains("6 samples"), before)
        // A validation file is not training data.
        try NpyArray(shape: [32, 32, 1], float32: [Float](repeating: 2, count: 1024)).write(to: folder.appendingPathComponent("nyu/val/depth/0.npy"))
        XCTAssertEqual(TrainingDataFingerprint.text(of: try Experiment(recipe: recipe).data.bundle), before)
        // One training label value changed.
        var label = (0..<1024).map { Double(($0 / 37 + 5) % 14) - 1 }
        label[100] = label[100] == 0 ? 1 : 0
        try NpyArray(shape: [32, 32], float64: label).write(to: folder.appendingPathComponent("nyu/train/label/5.npy"))
        XCTAssertNotEqual(TrainingDataFingerprint.text(of: try Experiment(recipe: recipe).data.bundle), before)
    }
}
