import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TandemCore
@testable import Tandem

/// A hand-written suite folder (2 strategies × 2 seeds + single-task baselines) and the report built from it.
final class ReportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// One fake cell: its test metrics (task → metric → value), its speed and, for matrix cells, step records.
    struct FakeCell {
        var identifier: String
        var coordinates: [String: String]
        var baselineTask: String?
        var test: [String: [String: Double]]
        var secondsPerStep: Double
        var steps = 1000
        /// The cell's position in its suite (`CellDescription.index`), when recorded.
        var index: Int? = nil
        /// Every evaluation's validation error, when set (else 1/evaluation number).
        var validationError: Double? = nil
        var trivial: [String: [String: [String: Double]]]? = nil
        var provenance: Provenance? = nil
    }

    static func cell(_ strategy: String, seed: Int, segmentation: (Double, Double), depth: (Double, Double), seconds: Double) -> FakeCell {
        FakeCell(identifier: "strategy=\(strategy),seed=\(seed)", coordinates: ["strategy": strategy, "seed": "\(seed)"], baselineTask: nil,
                 test: ["segmentation": ["mIoU": segmentation.0, "pixelAccuracy": segmentation.1, "loss": 1.1],
                        "depth": ["absError": depth.0, "relError": depth.1, "loss": 0.6]],
                 secondsPerStep: seconds)
    }

    static func baseline(_ task: String, seed: Int, _ metrics: [String: Double], seconds: Double) -> FakeCell {
        FakeCell(identifier: "baseline=\(task),seed=\(seed)", coordinates: ["baseline": task, "seed": "\(seed)"], baselineTask: task,
                 test: [task: metrics.merging(["loss": 0.9]) { $1 }], secondsPerStep: seconds)
    }

    /// ew and pcgrad × seeds 0, 1, and baselines for both tasks (values chosen for hand arithmetic).
    static let suiteCells: [FakeCell] = [
        cell("ew", seed: 0, segmentation: (0.40, 0.70), depth: (0.50, 0.20), seconds: 0.10),
        cell("ew", seed: 1, segmentation: (0.42, 0.72), depth: (0.54, 0.22), seconds: 0.12),
        cell("pcgrad", seed: 0, segmentation: (0.45, 0.74), depth: (0.48, 0.19), seconds: 0.21),
        cell("pcgrad", seed: 1, segmentation: (0.47, 0.76), depth: (0.52, 0.21), seconds: 0.23),
        baseline("segmentation", seed: 0, ["mIoU": 0.44, "pixelAccuracy": 0.72], seconds: 0.05),
        baseline("segmentation", seed: 1, ["mIoU": 0.46, "pixelAccuracy": 0.74], seconds: 0.07),
        baseline("depth", seed: 0, ["absError": 0.50, "relError": 0.20], seconds: 0.06),
        baseline("depth", seed: 1, ["absError": 0.50, "relError": 0.20], seconds: 0.06),
    ]

    /// Writes `cells` under `root/cells/`, plus `unfinished` cells that have a cell.json only.
    func writeSuite(_ cells: [FakeCell], to root: URL, unfinished: [String] = []) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func folder(_ identifier: String) throws -> URL {
            let url = root.appendingPathComponent("cells").appendingPathComponent(identifier)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        for identifier in unfinished {
            let description = CellDescription(suite: "fake", identifier: identifier, coordinates: ["strategy": "uw", "seed": "0"], baselineTask: nil)
            try encoder.encode(description).write(to: try folder(identifier).appendingPathComponent("cell.json"))
        }
        for cell in cells {
            let url = try folder(cell.identifier)
            try encoder.encode(CellDescription(suite: "fake", identifier: cell.identifier, coordinates: cell.coordinates,
                                               baselineTask: cell.baselineTask, index: cell.index)).write(to: url.appendingPathComponent("cell.json"))
            // Validation curves rise towards the test values over five evaluations.
            var history: [EvaluationPoint] = []
            for index in 1...5 {
                let fraction = Double(index) / 5
                let validation: [String: [String: Double]] = cell.test.mapValues { metrics in metrics.mapValues { $0 * fraction } }
                history.append(EvaluationPoint(step: index * cell.steps / 5, validationError: cell.validationError ?? 1 / Double(index),
                                               metrics: ["validation": validation, "test": cell.test]))
            }
            let result = Experiment.Result(name: "fake", strategy: cell.coordinates["strategy"] ?? "ew", seed: UInt64(cell.coordinates["seed"]!)!,
                                           steps: cell.steps, metrics: ["validation": cell.test, "test": cell.test], selectedSteps: [cell.steps],
                                           secondsPerStep: cell.secondsPerStep, history: history,
                                           provenance: cell.provenance, trivialReference: cell.trivial)
            try encoder.encode(result).write(to: url.appendingPathComponent("result.json"))
            // Step records as the trainer writes them: weights drifting apart, a falling gradient norm.
            var lines = ""
            let tasks = cell.test.keys.sorted()
            for step in 0..<cell.steps {
                let phase = Double(step) / Double(cell.steps)
                var weights: [String: Double] = [:]
                for (index, task) in tasks.enumerated() { weights[task] = 1 + (Double(index) - 0.5) * phase }
                var record: [String: Any] = [
                    "step": step, "epoch": 0, "batchKind": "parallel", "losses": weights, "decoderWeights": weights,
                    "sharedGradientNorm": 3 - 2 * phase + 0.1 * sin(Double(step)), "learningRates": ["shared": 0.1],
                    "reports": [String: Double](), "seconds": cell.secondsPerStep,
                ]
                // pcgrad's encoder weights differ from its decoder weights; ew's repeat them (and are not drawn twice).
                record["encoderWeights"] = cell.coordinates["strategy"] == "pcgrad" ? weights.mapValues { 2 - $0 } : weights
                lines += String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self) + "\n"
            }
            try lines.write(to: url.appendingPathComponent("records.jsonl"), atomically: true, encoding: .utf8)
        }
    }

    /// `text` with runs of spaces collapsed, so assertions read the values rather than the padding.
    static func collapsed(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    func suiteFolder(_ name: String = "suite", cells: [FakeCell] = ReportTests.suiteCells, unfinished: [String] = []) throws -> URL {
        let root = folder.appendingPathComponent(name)
        try writeSuite(cells, to: root, unfinished: unfinished)
        return root
    }

    // MARK: The comparison table

    /// Cells whose test splits differ (the data vary along an axis) get one short clause per task —
    /// how many cells disagree with the first and one of them — not one clause per pair.
    func testDifferingTestSplitsAreNotedOncePerTask() throws {
        var cells = ReportTests.suiteCells
        for i in 0..<4 {
            cells[i].trivial = ["test": ["segmentation": ["mIoU": 0.1 + Double(i) / 100], "depth": ["absError": 1.0 + Double(i)]]]
        }
        let table = try SuiteReport(folders: [try suiteFolder(cells: cells)]).comparison
        let notes = table.notes.filter { $0.contains("splits differ") }
        XCTAssertEqual(notes.count, 1, "\(table.notes)")
        let note = try XCTUnwrap(notes.first)
        XCTAssertTrue(note.hasPrefix("The cells' test splits differ (depth: 3 cells (e.g. strategy="), note)
        XCTAssertTrue(note.contains("; segmentation: 3 cells (e.g. strategy="), note)
        XCTAssertTrue(note.hasSuffix("the trivial row shows the first."), note)
        XCTAssertEqual(note.components(separatedBy: " against ").count, 3, note)
    }

    func testTableValuesByHand() throws {
        let report = try SuiteReport(folders: [try suiteFolder()])
        let table = report.comparison
        XCTAssertEqual(table.split, "test")
        XCTAssertEqual(table.taskColumns.map(\.title), ["depth absError ↓", "segmentation mIoU ↑"])
        XCTAssertEqual(table.rows.map(\.label), ["strategy=ew", "strategy=pcgrad"])
        XCTAssertEqual(table.rows.map(\.seeds), [["0", "1"], ["0", "1"]])
        let (ew, pcgrad) = (table.rows[0], table.rows[1])

        // Means and sample standard deviations over two seeds: std = |a − b| / √2.
        XCTAssertEqual(ew.headlines["segmentation"]!.mean, 0.41, accuracy: 1e-12)
        XCTAssertEqual(ew.headlines["segmentation"]!.standardDeviation!, 0.02 / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(ew.headlines["depth"]!.mean, 0.52, accuracy: 1e-12)
        XCTAssertEqual(ew.headlines["depth"]!.standardDeviation!, 0.04 / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(pcgrad.headlines["segmentation"]!.mean, 0.46, accuracy: 1e-12)
        XCTAssertEqual(pcgrad.headlines["depth"]!.mean, 0.50, accuracy: 1e-12)

        // Δ_MTL against the baseline means (mIoU 0.45, pixelAccuracy 0.73, absError 0.50, relError 0.20), loss left out.
        let ewDeltas = [((0.40 - 0.45) / 0.45 + (0.70 - 0.73) / 0.73 - 0 - 0) / 4,
                        ((0.42 - 0.45) / 0.45 + (0.72 - 0.73) / 0.73 - (0.54 - 0.50) / 0.50 - (0.22 - 0.20) / 0.20) / 4].map { $0 * 100 }
        let pcgradDeltas = [((0.45 - 0.45) / 0.45 + (0.74 - 0.73) / 0.73 - (0.48 - 0.50) / 0.50 - (0.19 - 0.20) / 0.20) / 4,
                            ((0.47 - 0.45) / 0.45 + (0.76 - 0.73) / 0.73 - (0.52 - 0.50) / 0.50 - (0.21 - 0.20) / 0.20) / 4].map { $0 * 100 }
        XCTAssertEqual(ew.deltaOverMetrics!.mean, (ewDeltas[0] + ewDeltas[1]) / 2, accuracy: 1e-9)
        XCTAssertEqual(ew.deltaOverMetrics!.standardDeviation!, abs(ewDeltas[0] - ewDeltas[1]) / 2.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(pcgrad.deltaOverMetrics!.mean, (pcgradDeltas[0] + pcgradDeltas[1]) / 2, accuracy: 1e-9)
        XCTAssertEqual(pcgrad.deltaOverMetrics!.mean, (1.0 / 73 + 0.04 + 0.05 + 2.0 / 45 + 3.0 / 73 - 0.04 - 0.05) / 8 * 100, accuracy: 1e-9)
        // LibMTL's convention: per task the mean of its two terms, then the mean over the two tasks —
        // equal to the mean over metrics here because every task has two metrics.
        XCTAssertEqual(pcgrad.deltaOverTasks!.mean, pcgrad.deltaOverMetrics!.mean, accuracy: 1e-9)

        // Time per step as measured seconds: ew (0.10, 0.12), pcgrad (0.21, 0.23), baselines.
        XCTAssertEqual(ew.secondsPerStep!.mean, 0.11, accuracy: 1e-12)
        XCTAssertEqual(pcgrad.secondsPerStep!.mean, 0.22, accuracy: 1e-12)
        XCTAssertEqual(table.baselineRows.map(\.label), ["baseline=depth", "baseline=segmentation"])
        XCTAssertEqual(table.baselineRows[0].secondsPerStep!.mean, 0.06, accuracy: 1e-12)
        XCTAssertEqual(table.baselineRows[1].headlines["segmentation"]!.mean, 0.45, accuracy: 1e-12)
        XCTAssertEqual(table.baselineRows[1].headlines.count, 1)

        // Best marks follow each column's direction; time is never marked.
        XCTAssertEqual(ew.best, [])
        XCTAssertEqual(pcgrad.best, [.task("segmentation"), .task("depth"), .deltaOverMetrics, .deltaOverTasks])

        let text = report.table()
        let lines = text.split(separator: "\n").map(String.init)
        let words = lines.map(ReportTests.collapsed)
        XCTAssertTrue(words.contains("strategy=ew 2 0.5200 ± 0.0283 0.4100 ± 0.0141 -5.16 ± 1.91 -5.16 ± 1.91 0.110 ± 0.014 s"), text)
        let delta = String(format: "%+.2f ± %.2f*", pcgrad.deltaOverMetrics!.mean, pcgrad.deltaOverMetrics!.standardDeviation!)
        XCTAssertTrue(words.contains("strategy=pcgrad 2 0.5000 ± 0.0283* 0.4600 ± 0.0141* \(delta) \(delta) 0.220 ± 0.014 s"), text)
        XCTAssertTrue(words.contains("baseline=segmentation 2 segmentation mIoU ↑ 0.4500 ± 0.0141 60.00 ± 14.14 ms"), text)
        XCTAssertTrue(words.contains("baseline=depth 2 depth absError ↓ 0.5000 ± 0.0000 60.00 ± 0.00 ms"), text)
        // Columns line up: both matrix rows put their first ± at the same position.
        let rowLines = lines.filter { $0.hasPrefix("strategy=") }
        XCTAssertEqual(Set(rowLines.map { $0.distance(from: $0.startIndex, to: $0.firstIndex(of: "±")!) }).count, 1, text)
        let markdown = report.markdown()
        XCTAssertTrue(markdown.contains("| strategy=pcgrad | 2 | 0.5000 ± 0.0283\\* | 0.4600 ± 0.0141\\* |"), markdown)
        XCTAssertTrue(markdown.contains("| --- | ---: |"), markdown)
    }

    func testWithoutBaselinesDeltaIsAbsent() throws {
        let cells = ReportTests.suiteCells.filter { $0.baselineTask == nil }.map { cell -> FakeCell in
            var cell = cell
            if cell.coordinates["strategy"] == "ew" {
                cell.identifier = cell.identifier.replacingOccurrences(of: "strategy=ew", with: "strategy=uw")
                cell.coordinates["strategy"] = "uw"
            }
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        XCTAssertEqual(report.comparison.rows.map(\.label), ["strategy=pcgrad", "strategy=uw"])
        XCTAssertNil(report.comparison.rows[0].deltaOverMetrics)
        XCTAssertNil(report.comparison.rows[0].deltaOverTasks)
        XCTAssertFalse(report.comparison.rows.contains { $0.best.contains(.deltaOverMetrics) || $0.best.contains(.deltaOverTasks) })
        let text = report.table()
        XCTAssertTrue(text.contains("Δ_MTL: — because the suite has no finished single-task baseline cells."), text)
        XCTAssertTrue(report.comparison.baselineRows.isEmpty)
        XCTAssertFalse(text.contains("single-task baselines"))
    }

    func testOneSeedShowsNoSpread() throws {
        let cells = ReportTests.suiteCells.filter { $0.coordinates["seed"] == "1" }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        XCTAssertEqual(report.comparison.rows.map(\.seeds), [["1"], ["1"]])
        XCTAssertNil(report.comparison.rows[0].headlines["segmentation"]!.standardDeviation)
        let text = report.table()
        let rows = text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("strategy=") || $0.hasPrefix("baseline=") }
        XCTAssertEqual(rows.map(ReportTests.collapsed), ["strategy=ew 1 0.5400 0.4200 -7.35 -7.35 0.120 s", "strategy=pcgrad 1 0.5200* 0.4700* -1.03* -1.03* 0.230 s",
                                                         "baseline=depth 1 depth absError ↓ 0.5000 60.00 ms", "baseline=segmentation 1 segmentation mIoU ↑ 0.4600 70.00 ms"])
        // Δ_MTL of pcgrad seed 1 against the seed-1 baselines: (1/46 + 2/74 − 2/50 − 1/20) / 4.
        XCTAssertEqual(report.comparison.rows[1].deltaOverMetrics!.mean, (1.0 / 46 + 2.0 / 74 - 0.04 - 0.05) / 4 * 100, accuracy: 1e-9)
    }

    func testUnfinishedCellsAreListedNotFatal() throws {
        let report = try SuiteReport(folders: [try suiteFolder(unfinished: ["strategy=uw,seed=0"])])
        XCTAssertEqual(report.unfinished, ["strategy=uw,seed=0"])
        XCTAssertEqual(report.cells.count, 8)
        XCTAssertTrue(report.table().contains("Not finished: strategy=uw,seed=0"))
        XCTAssertTrue(report.markdown().contains("- `strategy=uw,seed=0`"))
    }

    // MARK: Merging shards

    func testMergedShardsGiveTheUnshardedTable() throws {
        let whole = try SuiteReport(folders: [try suiteFolder()])
        let cells = ReportTests.suiteCells
        let first = try suiteFolder("shard-1", cells: cells.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        let second = try suiteFolder("shard-2", cells: cells.enumerated().filter { $0.offset % 2 == 1 }.map(\.element),
                                     unfinished: [])
        let merged = try SuiteReport(folders: [second, first])
        XCTAssertEqual(merged.table(), whole.table())
        XCTAssertEqual(merged.markdown(), whole.markdown())
        XCTAssertEqual(merged.comparison, whole.comparison)
        XCTAssertEqual(try ResultFiles.jsonLines(merged.cells), try ResultFiles.jsonLines(whole.cells))

        // A cell in both folders with the same results is fine; different results are an error naming both files.
        let overlapping = try suiteFolder("shard-3", cells: [cells[0], cells[1]])
        XCTAssertEqual(try SuiteReport(folders: [first, second, overlapping]).comparison, whole.comparison)
        var changed = cells[1]
        changed.secondsPerStep = 0.5
        let conflicting = try suiteFolder("shard-4", cells: [changed])
        XCTAssertThrowsError(try SuiteReport(folders: [first, second, conflicting])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("strategy=ew,seed=1 has different results"), message)
            XCTAssertTrue(message.contains(conflicting.appendingPathComponent("cells/strategy=ew,seed=1/result.json").path), message)
        }
    }

    func testAShardThatFinishedACellOverridesOneWhereItIsPending() throws {
        let cells = ReportTests.suiteCells
        let finished = try suiteFolder("finished", cells: cells)
        let pending = try suiteFolder("pending", cells: [], unfinished: ["strategy=uw,seed=0"])
        let later = try suiteFolder("later", cells: [FakeCell(identifier: "strategy=uw,seed=0", coordinates: ["strategy": "uw", "seed": "0"],
                                                              baselineTask: nil, test: cells[0].test, secondsPerStep: 0.1, steps: 10)])
        XCTAssertEqual(try SuiteReport(folders: [finished, pending]).unfinished, ["strategy=uw,seed=0"])
        let report = try SuiteReport(folders: [finished, pending, later])
        XCTAssertEqual(report.unfinished, [])
        XCTAssertEqual(report.comparison.rows.map(\.label), ["strategy=ew", "strategy=pcgrad", "strategy=uw"])
    }

    // MARK: Errors name the file

    func testCorruptOrMissingFilesAreReportedWithTheirPath() throws {
        let root = try suiteFolder()
        let result = root.appendingPathComponent("cells/strategy=pcgrad,seed=1/result.json")
        try "{\"name\": \"fake\"".write(to: result, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SuiteReport(folders: [root])) { error in
            XCTAssertTrue("\(error)".contains(result.path), "\(error)")
            XCTAssertTrue("\(error)".contains("not a valid result.json"), "\(error)")
        }
        try "{\"name\": \"fake\"}".write(to: result, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SuiteReport(folders: [root])) { error in
            XCTAssertTrue("\(error)".contains("\(result.path) is not a valid result.json: missing"), "\(error)")
        }
        try FileManager.default.removeItem(at: result)
        XCTAssertEqual(try SuiteReport(folders: [root]).unfinished, ["strategy=pcgrad,seed=1"])

        let records = root.appendingPathComponent("cells/strategy=ew,seed=0/records.jsonl")
        var lines = try String(contentsOf: records, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = "{\"step\": 2"
        try lines.joined(separator: "\n").write(to: records, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SuiteReport(folders: [root])) { error in
            XCTAssertTrue("\(error)".contains("\(records.path) line 3 is not a step record"), "\(error)")
        }

        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SuiteReport(folders: [empty])) { error in
            XCTAssertTrue("\(error)".contains("\(empty.path) is not a suite output folder"), "\(error)")
        }
    }

    func testFoldersOfDifferentSuitesAreRefused() throws {
        let root = try suiteFolder()
        let other = folder.appendingPathComponent("other/cells/strategy=mgda,seed=0")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let description = CellDescription(suite: "another", identifier: "strategy=mgda,seed=0", coordinates: ["strategy": "mgda", "seed": "0"], baselineTask: nil)
        try JSONEncoder().encode(description).write(to: other.appendingPathComponent("cell.json"))
        XCTAssertThrowsError(try SuiteReport(folders: [root, folder.appendingPathComponent("other")])) { error in
            XCTAssertTrue("\(error)".contains("different suites: another"), "\(error)")
        }
    }

    // MARK: Written files

    func testResultFilesAndReport() throws {
        let report = try SuiteReport(folders: [try suiteFolder()])
        let output = folder.appendingPathComponent("report")
        try report.write(to: output)

        let csv = try String(contentsOf: output.appendingPathComponent("results.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n")
        XCTAssertEqual(rows.first, "identifier,strategy,seed,baseline,split,task,metric,statistic,value")
        // Matrix cells: 2 splits × (3 + 3) metrics; baseline cells: 2 splits × 3 metrics.
        XCTAssertEqual(rows.count, 1 + 4 * 2 * 6 + 4 * 2 * 3)
        XCTAssertTrue(rows.contains("\"strategy=pcgrad,seed=1\",pcgrad,1,,test,segmentation,mIoU,,0.47"), csv)
        XCTAssertTrue(rows.contains("\"baseline=depth,seed=0\",,0,depth,validation,depth,absError,,0.5"), csv)

        let lines = try String(contentsOf: output.appendingPathComponent("results.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 8)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(Set(first.keys), ["identifier", "coordinates", "baselineTask", "metrics", "secondsPerStep", "provenance"])
        XCTAssertEqual(first["identifier"] as? String, "strategy=ew,seed=0")
        XCTAssertTrue(first["baselineTask"] is NSNull)
        let last = try JSONSerialization.jsonObject(with: Data(lines[7].utf8)) as! [String: Any]
        XCTAssertEqual(last["baselineTask"] as? String, "segmentation")

        let markdown = try String(contentsOf: output.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.hasPrefix("# Suite fake\n"))
        let files = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("plots").path).sorted()
        XCTAssertEqual(files, ["gradient-norm.svg", "validation-depth.svg", "validation-segmentation.svg",
                               "weights-strategy-ew.svg", "weights-strategy-pcgrad.svg"])
        for file in files { XCTAssertTrue(markdown.contains("](plots/\(file))"), file) }
    }

    /// Collects element names and polyline point counts while checking the document parses.
    final class SVGChecker: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var polylinePointCounts: [Int] = []
        var texts: [String] = []
        var inText = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
            if name == "polyline" { polylinePointCounts.append(attributes["points"]!.split(separator: " ").count) }
            inText = name == "text"
            if inText { texts.append("") }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { texts[texts.count - 1] += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { inText = false }
    }

    func testPlotsAreWellFormedSmallSVG() throws {
        let report = try SuiteReport(folders: [try suiteFolder()])
        let output = folder.appendingPathComponent("report")
        try report.write(to: output)
        let plots = output.appendingPathComponent("plots")
        var checked: [String: SVGChecker] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: plots.path) {
            let parser = XMLParser(contentsOf: plots.appendingPathComponent(file))!
            let checker = SVGChecker()
            parser.delegate = checker
            XCTAssertTrue(parser.parse(), "\(file): \(String(describing: parser.parserError))")
            XCTAssertEqual(checker.elements.first, "svg", file)
            XCTAssertTrue(checker.polylinePointCounts.allSatisfy { $0 >= 2 && $0 <= 400 }, "\(file): \(checker.polylinePointCounts)")
            checked[file] = checker
        }
        // Weights: 1000 records subsampled to 400 points; pcgrad also has dashed encoder weights.
        XCTAssertEqual(checked["weights-strategy-ew.svg"]!.polylinePointCounts, [400, 400])
        XCTAssertEqual(checked["weights-strategy-pcgrad.svg"]!.polylinePointCounts, [400, 400, 400, 400])
        XCTAssertTrue(checked["weights-strategy-pcgrad.svg"]!.texts.contains("depth (encoder)"))
        XCTAssertTrue(checked["weights-strategy-ew.svg"]!.texts.contains("depth"))
        XCTAssertFalse(checked["weights-strategy-ew.svg"]!.texts.contains("depth (encoder)"))
        // Validation curves: one line per row plus the dashed baseline, five evaluations each.
        XCTAssertEqual(checked["validation-depth.svg"]!.polylinePointCounts, [5, 5, 5])
        XCTAssertTrue(checked["validation-depth.svg"]!.texts.contains("single-task baseline"))
        XCTAssertEqual(checked["gradient-norm.svg"]!.polylinePointCounts, [400, 400])
        XCTAssertTrue(checked["gradient-norm.svg"]!.texts.contains("strategy=pcgrad (seed 0)"))
        let size = try FileManager.default.attributesOfItem(atPath: plots.appendingPathComponent("gradient-norm.svg").path)[.size] as! Int
        XCTAssertLessThan(size, 30_000)
    }

    func testEscapedTextKeepsTheSVGWellFormed() {
        let plot = SVGPlot(title: "a < b & \"c\"", xLabel: "step", yLabel: "y", series: [
            SVGPlot.Series(name: "x>y", points: [(0, 1), (1, 2)], colorIndex: 0),
            SVGPlot.Series(name: "single", points: [(0.5, 1.5)], colorIndex: 1),
            SVGPlot.Series(name: "empty", points: [], colorIndex: 2),
        ])
        let parser = XMLParser(data: Data(plot.svg().utf8))
        let checker = SVGChecker()
        parser.delegate = checker
        XCTAssertTrue(parser.parse())
        XCTAssertTrue(checker.texts.contains("a < b & \"c\""))
        XCTAssertTrue(checker.elements.contains("circle"))
    }

    /// A robustness suite (TMT's Fig. 4: the parallel fraction): each task's headline metric
    /// against the numeric axis, one line per strategy, mean over seeds with ± spread whiskers;
    /// rows without the axis (an included Oracle row) and non-numeric axes get no such plot.
    func testSweepPlotsShowEachTaskAgainstANumericAxis() throws {
        func swept(_ strategy: String, _ fraction: String, seed: Int, _ mIoU: Double) -> FakeCell {
            FakeCell(identifier: "strategy=\(strategy),labels.parallel_fraction=\(fraction),seed=\(seed)",
                     coordinates: ["strategy": strategy, "labels.parallel_fraction": fraction, "seed": "\(seed)"], baselineTask: nil,
                     test: ["segmentation": ["mIoU": mIoU, "loss": 1], "depth": ["absError": 0.5 + mIoU / 10, "loss": 1]], secondsPerStep: 0.1, steps: 20)
        }
        var cells = [
            swept("ew", "0.5", seed: 0, 0.40), swept("ew", "0.5", seed: 1, 0.44), swept("ew", "0.1", seed: 0, 0.30), swept("ew", "0.1", seed: 1, 0.34),
            swept("tmt", "0.1", seed: 0, 0.35), swept("tmt", "0.1", seed: 1, 0.37), swept("tmt", "0.5", seed: 0, 0.45), swept("tmt", "0.5", seed: 1, 0.49),
        ]
        for seed in 0..<2 {
            cells.append(FakeCell(identifier: "name=oracle,seed=\(seed)", coordinates: ["name": "oracle", "seed": "\(seed)"], baselineTask: nil,
                                  test: ["segmentation": ["mIoU": 0.6, "loss": 1], "depth": ["absError": 0.4, "loss": 1]], secondsPerStep: 0.1, steps: 20))
        }
        let root = try suiteFolder("sweep", cells: cells)
        for spread in [ReportOptions.Spread.standardDeviation, .standardError] {
            let report = try SuiteReport(folders: [root], options: ReportOptions(spread: spread))
            let sweeps = report.plots.filter { $0.kind == .sweep }
            XCTAssertEqual(sweeps.map(\.fileName), ["sweep-labels-parallel-fraction-depth.svg", "sweep-labels-parallel-fraction-segmentation.svg"])
            let plot = try XCTUnwrap(sweeps.first { $0.fileName.hasSuffix("segmentation.svg") }).plot
            XCTAssertEqual(plot.xLabel, "labels.parallel_fraction")
            XCTAssertEqual(plot.yLabel, "segmentation mIoU ↑")
            XCTAssertEqual(plot.series.map(\.name), ["strategy=ew", "strategy=tmt"])
            let divisor = spread == .standardDeviation ? 1 : 2.0.squareRoot()
            let std = (2 * 0.02 * 0.02).squareRoot()
            for (series, means) in zip(plot.series, [[0.32, 0.42], [0.36, 0.47]]) {
                XCTAssertEqual(series.points.map(\.x), [0.1, 0.5], series.name)
                for (point, mean) in zip(series.points, means) { XCTAssertEqual(point.y, mean, accuracy: 1e-12, series.name) }
                let expected = series.name == "strategy=ew" ? [std, std] : [0.01 * 2.0.squareRoot(), std]
                for (error, value) in zip(series.errors ?? [], expected) { XCTAssertEqual(error ?? .nan, value / divisor, accuracy: 1e-12, series.name) }
                XCTAssertEqual(series.errors?.count, 2)
            }
        }

        let output = folder.appendingPathComponent("sweep-report")
        let report = try SuiteReport(folders: [root])
        try report.write(to: output)
        let markdown = try String(contentsOf: output.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("### Against the swept value"), markdown)
        XCTAssertTrue(markdown.contains("](plots/sweep-labels-parallel-fraction-segmentation.svg)"), markdown)
        let parser = XMLParser(contentsOf: output.appendingPathComponent("plots/sweep-labels-parallel-fraction-segmentation.svg"))!
        let checker = SVGChecker()
        parser.delegate = checker
        XCTAssertTrue(parser.parse(), String(describing: parser.parserError))
        XCTAssertEqual(checker.polylinePointCounts, [2, 2])
        XCTAssertEqual(checker.elements.filter { $0 == "circle" }.count, 4, "a dot per setting")
        XCTAssertEqual(checker.elements.filter { $0 == "path" }.count, 2, "one whisker path per line")
        XCTAssertTrue(checker.texts.contains("strategy=ew") && checker.texts.contains("strategy=tmt"), "\(checker.texts)")
        XCTAssertTrue(checker.texts.contains("labels.parallel_fraction"), "\(checker.texts)")
        // The quickstart-like suite (strategy × seed) has no numeric axis: no sweep plot.
        XCTAssertFalse(try SuiteReport(folders: [try suiteFolder()]).plots.contains { $0.kind == .sweep })
    }

    // MARK: Pieces

    func testTicksAreRoundAndCoverTheRange() {
        let ticks = SVGPlot.ticks(low: 0.13, high: 0.87)
        XCTAssertEqual(ticks.values.count, 6)
        XCTAssertEqual(ticks.low, 0.0, accuracy: 1e-12)
        XCTAssertEqual(ticks.high, 1.0, accuracy: 1e-12)
        XCTAssertEqual(ticks.decimals, 1)
        let steps = SVGPlot.ticks(low: 0, high: 1000)
        XCTAssertEqual(steps.values, [0, 200, 400, 600, 800, 1000])
        XCTAssertEqual(steps.decimals, 0)
        let run = SVGPlot.ticks(low: 0, high: 119)
        XCTAssertEqual(run.values, [0, 20, 40, 60, 80, 100, 120])
        let flat = SVGPlot.ticks(low: 2, high: 2)
        XCTAssertLessThan(flat.low, 2)
        XCTAssertGreaterThan(flat.high, 2)
    }

    func testSmoothingAndSubsampling() {
        XCTAssertEqual(SeriesSmoothing.movingAverage([1, 2, 3, 4, 5], window: 3), [1.5, 2, 3, 4, 4.5])
        XCTAssertEqual(SeriesSmoothing.movingAverage([1, 5], window: 1), [1, 5])
        let sampled = SeriesSmoothing.subsample(Array(0..<1000), limit: 400)
        XCTAssertEqual(sampled.count, 400)
        XCTAssertEqual(sampled.first, 0)
        XCTAssertEqual(sampled.last, 999)
        XCTAssertEqual(SeriesSmoothing.subsample([1, 2, 3], limit: 400), [1, 2, 3])
    }

    func testSampleSummaryAndMetricConventions() {
        let summary = SampleSummary([1, 2, 3, 4])!
        XCTAssertEqual(summary.mean, 2.5)
        XCTAssertEqual(summary.standardDeviation!, (5.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(summary.formatted(decimals: 2, signed: true), "+2.50 ± 1.29")
        XCTAssertEqual(SampleSummary([-0.5])!.formatted(decimals: 1, signed: true), "-0.5")
        XCTAssertNil(SampleSummary([]))
        XCTAssertEqual(ReportMetrics.headline(among: ["angleMean", "within30", "loss"]), "angleMean")
        XCTAssertEqual(ReportMetrics.headline(among: ["pixelAccuracy", "mIoU", "loss"]), "mIoU")
        XCTAssertEqual(ReportMetrics.headline(among: ["loss"]), "loss")
        XCTAssertEqual(ReportMetrics.direction(of: "within11.25"), .higherIsBetter)
        XCTAssertEqual(ReportMetrics.direction(of: "absError100"), .lowerIsBetter)
        XCTAssertNil(ReportMetrics.direction(of: "made-up"))
        XCTAssertEqual(ResultFiles.field("a,b\"c"), "\"a,b\"\"c\"")
    }
}
