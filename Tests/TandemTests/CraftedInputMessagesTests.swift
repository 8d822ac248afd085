import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// Round 3, the remaining crafted inputs: plot ticks from any values, plain messages instead of
/// Foundation error codes or "permission" for files that are not regular files, `combine` held
/// to the recipe's role rule, and recipe options that would be silently ignored.
final class CraftedInputMessagesTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-crafted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testPlotTicksAreFewAndFiniteForAnyValues() {
        let extremes: [(Double, Double)] = [(-1.7e308, 1.7e308), (1e20, 1e20 + 1), (1.7e308, 1.7e308), (-.infinity, .infinity), (.nan, 1),
                                            (0, 1e-320), (5e-324, 5e-324), (-1e300, 1e300), (3, 3)]
        for (low, high) in extremes {
            let ticks = SVGPlot.ticks(low: low, high: high)
            XCTAssertTrue((2...8).contains(ticks.values.count), "\(low)…\(high): \(ticks.values.count) ticks")
            XCTAssertTrue(ticks.values.allSatisfy(\.isFinite) && Set(ticks.values).count == ticks.values.count, "\(low)…\(high): \(ticks.values)")
            XCTAssertLessThan(ticks.low, ticks.high)
        }
        let plot = SVGPlot(title: "t", xLabel: "step", yLabel: "loss",
                           series: [SVGPlot.Series(name: "a", points: [(0, 1.7e308), (1, -1.7e308), (2, 1e20), (3, .nan)], colorIndex: 0,
                                                   errors: [1e308, nil, .infinity, 1])])
        let svg = plot.svg()
        XCTAssertFalse(svg.contains("inf") || svg.contains("nan"), svg)
    }

    func testFilesThatAreNotRegularFilesAreNamedForWhatTheyAre() throws {
        let fifo = folder.appendingPathComponent("fifo.yaml").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let cases = [(fifo, "FIFO"), ("/dev/null", "device"), ("/dev/zero", "device"), (folder.path, "folder"),
                     (folder.appendingPathComponent("missing.yaml").path, "no such file")]
        for (path, phrase) in cases {
            for load in [{ _ = try Recipe.load(path) }, { _ = try Suite.load(path) }] {
                XCTAssertThrowsError(try load(), path) {
                    XCTAssertTrue("\($0)".contains(path) && "\($0)".contains(phrase) && !"\($0)".contains("permission"), "\($0)")
                }
            }
        }
        let huge = folder.appendingPathComponent("huge.yaml")
        try Data(count: TextInputFile.maximumSize + 1).write(to: huge)
        XCTAssertThrowsError(try Recipe.load(huge.path)) { XCTAssertTrue("\($0)".contains("at most \(TextInputFile.maximumSize)"), "\($0)") }
    }

    func testEmptyShardsAndReportDestinationsGivePlainMessages() throws {
        // An empty shard still leaves a suite folder; its report says plainly that there are no cells.
        let suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("empty-shard"))
        try runner.describe([])
        XCTAssertTrue(FileManager.default.fileExists(atPath: runner.outputFolder.appendingPathComponent("cells").path))
        XCTAssertThrowsError(try SuiteReport(folders: [runner.outputFolder])) {
            XCTAssertTrue("\($0)".contains("no suite cells found"), "\($0)")
        }

        // `report --output FILE`: the report needs a folder, and the message says so.
        try runner.describe(try suite.cells())
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let report = try SuiteReport(folders: [runner.outputFolder])
        for destination in [file, file.appendingPathComponent("below")] {
            XCTAssertThrowsError(try report.write(to: destination)) {
                XCTAssertTrue("\($0)".contains("is a file, not a folder") && !"\($0)".contains("error 512"), "\($0)")
            }
        }
    }

    func testCombineNeedsAPrimaryRow() throws {
        let gradients = NpyArray(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6])
        for strategy in ["ial", "ew"] {
            XCTAssertThrowsError(try CombineGradients.run(strategy: strategy, gradients: gradients, gradientsPath: "g.npy", losses: nil, lossesPath: nil,
                                                          roles: [.auxiliary, .auxiliary], optionWords: [])) {
                XCTAssertTrue("\($0)".contains("at least one task row must have role primary"), "\($0)")
            }
        }
        XCTAssertNoThrow(try CombineGradients.run(strategy: "ial", gradients: gradients, gradientsPath: "g.npy", losses: nil, lossesPath: nil,
                                                  roles: [.primary, .auxiliary], optionWords: []))
    }

    func testOptionsThatWouldBeIgnoredAreRefused() throws {
        let base = try String(contentsOf: folder.appendingPathComponent("base.yaml"), encoding: .utf8)
        func refusal(_ from: String, _ to: String) -> String {
            let file = folder.appendingPathComponent("changed.yaml")
            try? base.replacingOccurrences(of: from, with: to).write(to: file, atomically: true, encoding: .utf8)
            do { _ = try Recipe.load(file.path); return "" } catch { return "\(error)" }
        }
        for selection in ["last", "best"] {
            let message = refusal("selection: last", "selection: \(selection), window: 3")
            XCTAssertTrue(message.contains("changed.yaml:") && message.contains("evaluation.window only applies to `selection: window`"), message)
        }
        XCTAssertEqual(refusal("selection: last", "selection: window, window: 3"), "")
        let sgd = "momentum: 0.9}"
        let empty = refusal(sgd, "momentum: 0.9, schedule: stepwise, milestones: []}")
        XCTAssertTrue(empty.contains("optimizer.milestones lists no steps"), empty)
        let unordered = refusal(sgd, "momentum: 0.9, schedule: stepwise, milestones: [6, 3]}")
        XCTAssertTrue(unordered.contains("strictly increasing"), unordered)
        XCTAssertEqual(refusal(sgd, "momentum: 0.9, schedule: stepwise, milestones: [3, 6]}"), "")
    }
}
