import XCTest
import Foundation

/// Builds the downstream package in Examples/CustomStrategy (which defines and registers its own
/// strategy outside Tandem) and runs it on a recipe: strategies really are modules.
final class ExamplePackageTests: XCTestCase {
    func testDownstreamStrategyBuildsAndTrains() throws {
        let repository = KillAndResumeTests.repository
        let example = repository.appendingPathComponent("Examples/CustomStrategy")
        guard FileManager.default.fileExists(atPath: KillAndResumeTests.sampleData.appendingPathComponent("mnist5k-images-idx3-ubyte").path) else {
            return XCTFail("data/mnist5k-images-idx3-ubyte (the MNIST sample) is missing from the repository")
        }
        let swift = ["/opt/swift/usr/bin/swift", "/usr/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swift"
        let scratch = repository.appendingPathComponent(".build/examples")
        let build = try run(swift, ["build", "-c", "release", "--package-path", example.path, "--scratch-path", scratch.path], in: example)
        XCTAssertEqual(build.status, 0, build.output)
        let output = example.appendingPathComponent(".build/example-run")
        try? FileManager.default.removeItem(at: output)
        let binary = scratch.appendingPathComponent("release/CustomStrategy").path
        let training = try run(binary, ["recipe.yaml", "output=\(output.path)"], in: example)
        XCTAssertEqual(training.status, 0, training.output)
        XCTAssertTrue(training.output.contains("strategy norm-equalised: 200 steps"), training.output)
        XCTAssertTrue(training.output.contains("test left: accuracy"), training.output)
        let records = try String(contentsOf: output.appendingPathComponent("records.jsonl"), encoding: .utf8)
        XCTAssertTrue(records.contains("\"scale.left\""), "the strategy's reports are recorded")
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
