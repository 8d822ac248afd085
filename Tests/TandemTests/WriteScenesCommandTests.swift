import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// `tandem write-scenes` writes synthetic scenes in the NYUv2 `.npy` layout, and the `nyuv2` data
/// set trains on them end to end (with the training augmentation on); bad options say what was
/// expected.
final class WriteScenesCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-write-scenes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Runs the `tandem` executable; returns its exit status and its output (stdout and stderr).
    func tandem(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let executable = try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let log = folder.appendingPathComponent("log-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    func testWrittenScenesTrainAsNYUv2() throws {
        let tree = folder.appendingPathComponent("scenes-nyu")
        let run = try tandem(["write-scenes", "--output", tree.path, "--height", "32", "--width", "32", "--train", "8", "--validation", "4",
                              "--seed", "2", "--dtype", "float32"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("wrote 8 training and 4 validation scenes"), run.output)

        // The files are the scenes of that seed, as `nyuv2` reads them.
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 12, height: 32, width: 32, seed: 2))
        let read = try DenseNpyDataset(root: tree, split: "val", layout: .nyuv2)
        XCTAssertEqual(try read.example(at: 3), try scenes.example(at: 11))

        let recipe = folder.appendingPathComponent("nyu.yaml")
        try """
        dataset: {name: nyuv2, root: scenes-nyu, augmentation: true}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.05}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.01}
        budget: {steps: 4, batch_size: 2}
        evaluation: {every: 2, batch_size: 2}
        output: \(folder.appendingPathComponent("run").path)

        """.write(to: recipe, atomically: true, encoding: .utf8)
        let result = try Experiment(recipe: Recipe.load(recipe.path)).run()
        XCTAssertEqual(result.steps, 4)
        XCTAssertNotNil(result.metrics["validation"]?["segmentation"]?["mIoU"], "\(result.metrics)")
    }

    func testBadOptionsAndAnOccupiedFolderAreRefused() throws {
        let tree = folder.appendingPathComponent("tree")
        for (arguments, expected) in [(["--layout", "cityscapes"], "--layout must be nyuv2"), (["--height", "4"], "--height and --width"),
                                      (["--train", "0"], "--train and --validation"), (["--dtype", "int8"], "--dtype must be float64 or float32"),
                                      (["--noise", "2"], "--noise must be within 0…1")] {
            let run = try tandem(["write-scenes", "--output", tree.path] + arguments)
            XCTAssertNotEqual(run.status, 0)
            XCTAssertTrue(run.output.contains(expected), "\(arguments): \(run.output)")
        }
        XCTAssertEqual(try tandem(["write-scenes", "--output", tree.path, "--height", "8", "--width", "8", "--train", "1", "--validation", "1"]).status, 0)
        let again = try tandem(["write-scenes", "--output", tree.path, "--height", "8", "--width", "8", "--train", "1", "--validation", "1"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("train/image") && again.output.contains("empty folder"), again.output)
    }
}
