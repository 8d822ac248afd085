import XCTest
import Foundation
@testable import Tandem

/// Round 3: no value that reaches a generated `.sbatch` file — the suite name, `--partition`,
/// `--memory`, the output folder, the working directory — can become a command. Each hostile
/// value is either refused with a message naming where it came from, or written so that every
/// line of the script is still one of the lines Tandem writes. The scripts are inspected, never run.
final class SlurmScriptInjectionTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-slurm-injection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Values that would start a command, split a directive or expand in a shell.
    static let hostile = ["cpu\ntouch PWNED", "cpu;touch PWNED", "cpu$(touch PWNED)", "cpu`touch PWNED`", "cpu touch", "cpu'x", "cpu\"x",
                          "cpu\rtouch PWNED", "cpu|touch", "cpu&touch", ""]

    func plan(_ settings: SlurmSettings, output: String? = nil, workingDirectory: String = "/work", suiteName: String? = nil) throws -> SlurmJobArrays {
        var suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        if let suiteName { suite.name = suiteName }
        let runner = SuiteRunner(suite: suite, outputFolder: URL(fileURLWithPath: output ?? folder.appendingPathComponent("out").path))
        return try SlurmJobArrays(runner: runner, cells: try suite.cells(), settings: settings, executable: "/opt/tandem",
                                  workingDirectory: workingDirectory)
    }

    /// Every line is a comment, an `#SBATCH --option=word` directive or one of the fixed command
    /// lines; the only line that runs a program is the final `exec`, with single-quoted arguments.
    func assertOnlyTandemLines(_ script: String, file: StaticString = #filePath, line: UInt = #line) {
        for text in script.split(separator: "\n", omittingEmptySubsequences: false) where !text.isEmpty {
            let ok = text.hasPrefix("#SBATCH --") ? !text.dropFirst("#SBATCH --".count).contains(where: { " \t'\"`$;|&".contains($0) })
                : text.hasPrefix("#") || text == "set -euo pipefail" || text.hasPrefix("export ") || text.hasPrefix("exec /opt/tandem ")
            XCTAssertTrue(ok, "unexpected line \(String(reflecting: String(text))) in\n\(script)", file: file, line: line)
        }
    }

    func testHostilePartitionAndMemoryAreRefusedNamingTheFlag() throws {
        for value in SlurmScriptInjectionTests.hostile {
            XCTAssertThrowsError(try plan(SlurmSettings(partition: value)), String(reflecting: value)) {
                XCTAssertTrue("\($0)".contains("--partition"), "\($0)")
            }
            XCTAssertThrowsError(try plan(SlurmSettings(memory: value)), String(reflecting: value)) {
                XCTAssertTrue("\($0)".contains("--memory"), "\($0)")
            }
        }
        for memory in ["4G", "4000", "16g", "512M"] { assertOnlyTandemLines(try plan(SlurmSettings(memory: memory)).arrays[0].script) }
        for partition in ["cpu", "cpu,gpu", "long-queue_2.x"] {
            let script = try plan(SlurmSettings(partition: partition)).arrays[0].script
            XCTAssertTrue(script.contains("#SBATCH --partition=\(partition)\n"), script)
            assertOnlyTandemLines(script)
        }
        XCTAssertThrowsError(try SlurmDuration(parsing: "1:00\ntouch PWNED"))
    }

    func testHostileFoldersAreRefusedNamingWhatTheyAre() throws {
        for value in SlurmScriptInjectionTests.hostile where !value.isEmpty {
            let output = folder.appendingPathComponent(value).path
            XCTAssertThrowsError(try plan(SlurmSettings(), output: output), String(reflecting: value)) {
                XCTAssertTrue("\($0)".contains("the output folder's log path"), "\($0)")
            }
            XCTAssertThrowsError(try plan(SlurmSettings(), workingDirectory: "/work/" + value), String(reflecting: value)) {
                XCTAssertTrue("\($0)".contains("the working directory"), "\($0)")
            }
        }
    }

    func testHostileSuiteNameIsOnlyALabel() throws {
        // `Suite.load` refuses such names (`RunName`); a suite made in code still cannot inject.
        for value in SlurmScriptInjectionTests.hostile where !value.isEmpty {
            let plan = try plan(SlurmSettings(partition: "cpu", memory: "4G", shards: 2), suiteName: value)
            for script in plan.arrays.map(\.script) + [plan.reportScript] { assertOnlyTandemLines(script) }
        }
        let file = folder.appendingPathComponent("named.yaml")
        try "name: \"tiny\\ntouch PWNED\"\nrecipe: base.yaml\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Suite.load(file.path)) {
            XCTAssertTrue("\($0)".contains("named.yaml:1:") && "\($0)".contains("control character"), "\($0)")
        }
    }

    func testOverridesReachTheCommandAsSingleWords() throws {
        let file = folder.appendingPathComponent("suite.yaml").path
        XCTAssertThrowsError(try Suite.load(file, overrides: ["name=a\ntouch PWNED"]).cells()) {
            XCTAssertTrue("\($0)".contains("continues on another line"), "\($0)")
        }
        let suite = try Suite.load(file, overrides: ["name=a;touch PWNED $(id) `id` 'x'"])
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("out"))
        let plan = try SlurmJobArrays(runner: runner, cells: try suite.cells(), settings: SlurmSettings(), executable: "/opt/tandem",
                                      workingDirectory: "/work")
        let script = plan.arrays[0].script
        XCTAssertTrue(script.contains(#" 'name=a;touch PWNED $(id) `id` '\''x'\''' "#), script)
        assertOnlyTandemLines(script)
    }
}
