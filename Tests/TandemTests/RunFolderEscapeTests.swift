import XCTest
import Foundation
@testable import Tandem

/// Round 3: a run never writes outside its folder or into another run's. Names are one folder
/// name (`RunName`), outputs are never the root, the current directory or a path through `..`
/// (`RunFolderPath`), a run refuses symbolic links among its own files (`RunFolderLinks`,
/// `RunFolderLock`), and two suite cells never share a folder.
final class RunFolderEscapeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-escape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The tiny base recipe with `line` appended, loaded; the error text when it is refused.
    func refusal(recipeLine line: String) -> String {
        let file = folder.appendingPathComponent("bad.yaml")
        let base = (try? String(contentsOf: folder.appendingPathComponent("base.yaml"), encoding: .utf8)) ?? ""
        let text = base.split(separator: "\n").filter { !$0.hasPrefix("name:") }.joined(separator: "\n") + "\n" + line + "\n"
        try? text.write(to: file, atomically: true, encoding: .utf8)
        do { _ = try Recipe.load(file.path); return "" } catch { return "\(error)" }
    }

    func suiteRefusal(_ text: String) -> String {
        let file = folder.appendingPathComponent("bad-suite.yaml")
        try? text.write(to: file, atomically: true, encoding: .utf8)
        do { _ = try Suite.load(file.path).cells(); return "" } catch { return "\(error)" }
    }

    func testNamesThatAreNotOneFolderNameAreRefusedAtTheField() {
        for name in ["..", ".", "a/b", "../../x", "a\\\\b", "\"a\\nb\"", "\"\""] {
            let message = refusal(recipeLine: "name: \(name)")
            XCTAssertTrue(message.contains("bad.yaml:") && message.contains("name"), "name: \(name) → \(message)")
            let suite = suiteRefusal("name: \(name)\nrecipe: base.yaml\n")
            XCTAssertTrue(suite.contains("bad-suite.yaml:1:") && suite.contains("name"), "name: \(name) → \(suite)")
        }
        XCTAssertEqual(refusal(recipeLine: "name: tiny-2.b_c"), "")
    }

    func testOutputsOutsideARunFolderAreRefused() throws {
        let current = FileManager.default.currentDirectoryPath
        let parent = URL(fileURLWithPath: current).deletingLastPathComponent().path
        for output in ["/", "/.", ".", "./", "runs/../..", "../x", "runs/a/../../b", current, parent, "\"runs/a\\nb\""] {
            let message = refusal(recipeLine: "output: \(output)")
            XCTAssertTrue(message.contains("bad.yaml:") && message.contains("output folder"), "output: \(output) → \(message)")
            let suite = suiteRefusal("recipe: base.yaml\noutput: \(output)\n")
            XCTAssertTrue(suite.contains("bad-suite.yaml:2:") && suite.contains("output folder"), "output: \(output) → \(suite)")
        }
        XCTAssertEqual(refusal(recipeLine: "output: runs/tiny"), "")
        XCTAssertEqual(refusal(recipeLine: "output: \(folder.appendingPathComponent("run").path)"), "")

        // `--output` (a folder given in code) is held to the same rule before anything is written.
        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path)
        XCTAssertThrowsError(try Experiment(recipe: recipe, outputFolder: URL(fileURLWithPath: "/"))) {
            XCTAssertTrue("\($0)".contains("file-system root"), "\($0)")
        }
        let suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        XCTAssertThrowsError(try SuiteRunner(suite: suite, outputFolder: URL(fileURLWithPath: "/")).validate([])) {
            XCTAssertTrue("\($0)".contains("file-system root"), "\($0)")
        }
    }

    func testSymbolicLinksAmongARunsFilesAreNeverFollowed() throws {
        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path)
        let victim = folder.appendingPathComponent("victim.txt")
        for name in [".lock", "records.jsonl", "checkpoint.tandem"] {
            try "precious\n".write(to: victim, atomically: false, encoding: .utf8)
            let run = folder.appendingPathComponent("run-\(name)")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: run.appendingPathComponent(name), withDestinationURL: victim)
            let experiment = try Experiment(recipe: recipe, outputFolder: run)
            for resume in [false, true] {
                XCTAssertThrowsError(try experiment.run(resume: resume), name) {
                    XCTAssertTrue("\($0)".contains("\(name) is a symbolic link"), "\($0)")
                }
            }
            XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "precious\n", name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("result.json").path))
        }
        // The lock on its own (as `tandem suite` takes it) does not follow a planted link either.
        let run = folder.appendingPathComponent("lock-only")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: run.appendingPathComponent(".lock"), withDestinationURL: victim)
        XCTAssertThrowsError(try RunFolderLock(folder: run)) { XCTAssertTrue("\($0)".contains("symbolic link"), "\($0)") }
        XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "precious\n")
    }

    func testTwoCellsNeverShareAFolder() {
        let repeated = suiteRefusal("recipe: base.yaml\nbaselines: false\nmatrix:\n  seed: [0, 1, 0]\n")
        XCTAssertTrue(repeated.contains("bad-suite.yaml:4:") && repeated.contains("lists 0 twice"), repeated)
        let punctuation = suiteRefusal("recipe: base.yaml\nbaselines: false\nmatrix:\n  strategy: [a/b, a_b]\n")
        XCTAssertTrue(punctuation.contains("strategy=a/b and strategy=a_b would share the run folder cells/strategy=a_b"), punctuation)
        XCTAssertEqual(suiteRefusal("recipe: base.yaml\nbaselines: false\nmatrix:\n  seed: [0, 1]\n"), "")
    }
}
