import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// Runs that cannot go on say so plainly: a resume against a changed recipe, an unwritable output
/// folder, a strategy that produces an infinite gradient, bad command-line values.
final class RunFailureTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func recipe() throws -> String {
        let data = KillAndResumeTests.sampleData.path
        let url = folder.appendingPathComponent("r.yaml")
        try """
        dataset: {name: multimnist, images: \(data)/mnist5k-images-idx3-ubyte, labels: \(data)/mnist5k-labels-idx1-ubyte, train: 256, validation: 64, test: 64}
        tasks: [left, {name: right, role: auxiliary}]
        model: {name: mlp, shared_widths: [16], head_widths: [8]}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 6, batch_size: 32}
        checkpoint_every: 2
        output: \(folder.appendingPathComponent("run").path)

        """.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// `--resume` after changing the optimiser (sgd → adam) used to crash inside Adam; it is
    /// refused, naming what changed, and the checkpoint is left as it was.
    func testResumeAgainstAChangedRecipeIsRefusedNamingTheChange() throws {
        let path = try recipe()
        try Experiment(recipe: Recipe.load(path)).run()
        let checkpoint = folder.appendingPathComponent("run/checkpoint.tandem")
        let before = try Data(contentsOf: checkpoint)
        XCTAssertThrowsError(try Experiment(recipe: Recipe.load(path, overrides: ["optimizer.name=adam"])).run(resume: true)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot resume"), text)
            XCTAssertTrue(text.contains("optimizer: {learning_rate: 0.05, momentum: 0.9, name: sgd} → {learning_rate: 0.05, momentum: 0.9, name: adam}"), text)
            XCTAssertFalse(text.contains("budget"), text)
        }
        XCTAssertThrowsError(try Experiment(recipe: Recipe.load(path, overrides: ["seed=3", "model.head_widths=[4]"])).run(resume: true)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model:") && text.contains("seed: (not set) → 3"), text)
        }
        XCTAssertEqual(try Data(contentsOf: checkpoint), before)
        // The same recipe with another output layout or checkpoint interval resumes.
        XCTAssertNoThrow(try Experiment(recipe: Recipe.load(path, overrides: ["checkpoint_every=3"])).run(resume: true))
    }

    func testOutputInsideAFileSaysWhy() throws {
        let blocker = folder.appendingPathComponent("taken")
        try Data().write(to: blocker)
        XCTAssertThrowsError(try Experiment(recipe: Recipe.load(try recipe()), outputFolder: blocker.appendingPathComponent("run")).run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\(blocker.path): it is a file, not a folder"), text)
            XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
        }
    }

    /// `combine` printed an infinite gradient and exited 0.
    func testCombineRefusesNonFiniteResults() throws {
        let huge = NpyArray(shape: [2, 3], float32: [3e38, 3e38, 1, 3e38, 3e38, 1])
        XCTAssertThrowsError(try CombineGradients.run(strategy: "ew", gradients: huge, gradientsPath: "G.npy", losses: nil, lossesPath: nil,
                                                       roles: nil, optionWords: [])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("strategy ew produced a non-finite combined gradient"), text)
            XCTAssertTrue(text.contains("G.npy"), text)
        }
        let fine = NpyArray(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try CombineGradients.run(strategy: "ew", gradients: fine, gradientsPath: "G.npy", losses: nil, lossesPath: nil,
                                                roles: nil, optionWords: []).direction.count, 3)
    }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard let executable = KillAndResumeTests.executable else { throw XCTSkip("the tandem executable was not built beside the tests") }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func testCommandLineValuesAreCheckedPlainly() throws {
        let gradients = folder.appendingPathComponent("G.npy")
        try NpyArray(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6]).write(to: gradients)
        // A negative value is read as the value and range-checked, not reported as "Missing value".
        let negative = try run(["combine", "--strategy", "ew", "--gradients", gradients.path, "--learning-rate", "-0.1"])
        XCTAssertEqual(negative.status, 2, negative.output)
        XCTAssertTrue(negative.output.contains("--learning-rate must be a positive number, found -0.1"), negative.output)
        XCTAssertFalse(negative.output.contains("Missing value"), negative.output)
        let steps = try run(["demo", "--steps", "-5"])
        XCTAssertTrue(steps.output.contains("--steps must be positive, got -5"), steps.output)
        let seed = try run(["combine", "--strategy", "ew", "--gradients", gradients.path, "--seed", "-1"])
        XCTAssertTrue(seed.output.contains("--seed must be a whole number"), seed.output)
        let infinite = try run(["combine", "--strategy", "ew", "--gradients", { () -> String in
            let url = folder.appendingPathComponent("H.npy")
            try? NpyArray(shape: [2, 2], float32: [3e38, 3e38, 3e38, 3e38]).write(to: url)
            return url.path
        }()])
        XCTAssertNotEqual(infinite.status, 0, infinite.output)
        XCTAssertFalse(infinite.output.contains("combined gradient: ["), infinite.output)

        // `--output ""` used to write into the current folder.
        let empty = try run(["train", try recipe(), "--output", ""])
        XCTAssertEqual(empty.status, 2, empty.output)
        XCTAssertTrue(empty.output.contains("--output needs a folder path"), empty.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["G.npy", "H.npy", "r.yaml"])

        // Output-path problems are one plain line, not an NSCocoaErrorDomain dump.
        try Data().write(to: folder.appendingPathComponent("file"))
        let blocked = try run(["train", try recipe(), "--output", folder.appendingPathComponent("file/run").path])
        XCTAssertEqual(blocked.status, 1, blocked.output)
        XCTAssertTrue(blocked.output.hasPrefix("error: cannot create the run folder"), blocked.output)
        XCTAssertFalse(blocked.output.contains("NSCocoaErrorDomain"), blocked.output)
    }
}
