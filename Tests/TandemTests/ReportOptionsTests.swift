import XCTest
import Foundation
import TandemCore
@testable import Tandem

/// Report options and conventions (issue 13 §3, issue 14's protocol, issue 10's selection on
/// validation), on hand-written suite folders from `ReportTests`.
extension ReportTests {
    static func provenance(commit: String = String(repeating: "a", count: 40), dirty: Bool = false, threads: Int = 1,
                           arrayJob: String? = nil) -> Provenance {
        Provenance(gitCommit: commit, gitDirty: dirty, tandemVersion: "0.1.0", swiftVersion: "6.3", openBLASCore: "Haswell", threads: threads,
                   host: "node1", slurmJobID: arrayJob.map { "\($0)1" }, slurmArrayJobID: arrayJob, slurmArrayTaskID: arrayJob.map { _ in "0" },
                   recipeHash: String(repeating: "b", count: 64), metricsVersion: 1, peakResidentBytes: 200 * 1_048_576)
    }

    func testBothDeltaConventionsFromUnroundedValues() throws {
        // segmentation has one metric, depth three (one a rescaled duplicate): the two conventions differ.
        let cells = [
            FakeCell(identifier: "strategy=ew,seed=0", coordinates: ["strategy": "ew", "seed": "0"], baselineTask: nil,
                     test: ["segmentation": ["mIoU": 0.33], "depth": ["absError": 0.45, "relError": 0.22, "absError100": 45]], secondsPerStep: 0.1),
            FakeCell(identifier: "baseline=segmentation,seed=0", coordinates: ["baseline": "segmentation", "seed": "0"], baselineTask: "segmentation",
                     test: ["segmentation": ["mIoU": 0.30]], secondsPerStep: 0.1),
            FakeCell(identifier: "baseline=depth,seed=0", coordinates: ["baseline": "depth", "seed": "0"], baselineTask: "depth",
                     test: ["depth": ["absError": 0.50, "relError": 0.20, "absError100": 50]], secondsPerStep: 0.1),
        ]
        let row = try SuiteReport(folders: [try suiteFolder(cells: cells)]).comparison.rows[0]
        let segmentation = (0.33 - 0.30) / 0.30, absolute = -(0.45 - 0.50) / 0.50, relative = -(0.22 - 0.20) / 0.20
        XCTAssertEqual(row.deltaOverMetrics!.mean, (segmentation + absolute + relative) / 3 * 100, accuracy: 1e-12)
        XCTAssertEqual(row.deltaOverTasks!.mean, (segmentation + (absolute + relative) / 2) / 2 * 100, accuracy: 1e-12)
        XCTAssertNotEqual(row.deltaOverMetrics!.mean, row.deltaOverTasks!.mean)
        XCTAssertFalse(ComparisonTable.countsInDelta("absError100"))
        XCTAssertFalse(ComparisonTable.countsInDelta("loss"))
        XCTAssertTrue(ComparisonTable.countsInDelta("within11.25"))
    }

    func testStandardErrorOption() throws {
        let root = try suiteFolder()
        let report = try SuiteReport(folders: [root], options: ReportOptions(spread: .standardError))
        let ew = report.comparison.rows[0]
        XCTAssertEqual(ew.headlines["segmentation"]!.standardError!, 0.02 / 2.0.squareRoot() / 2.0.squareRoot(), accuracy: 1e-12)
        let words = report.table().split(separator: "\n").map { ReportTests.collapsed(String($0)) }
        XCTAssertTrue(words.contains { $0.hasPrefix("strategy=ew 2 0.5200 ± 0.0200 0.4100 ± 0.0100") }, report.table())
        XCTAssertTrue(report.table().contains("mean ± standard error of the mean (sample std / √n)"), report.table())
        XCTAssertEqual(SampleSummary([1, 2, 3, 4])!.formatted(decimals: 3, spread: .standardError), "2.500 ± 0.645")
    }

    func testRowsFollowTheSuiteFileOrder() throws {
        // The suite lists pcgrad before ew; the folders' names and coordinate values would sort ew first.
        let cells = ReportTests.suiteCells.enumerated().map { offset, cell -> FakeCell in
            var cell = cell
            let positions = ["strategy=pcgrad,seed=0": 0, "strategy=pcgrad,seed=1": 1, "strategy=ew,seed=0": 2, "strategy=ew,seed=1": 3,
                             "baseline=segmentation,seed=0": 4, "baseline=segmentation,seed=1": 5, "baseline=depth,seed=0": 6, "baseline=depth,seed=1": 7]
            cell.index = positions[cell.identifier]
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        XCTAssertEqual(report.comparison.rows.map(\.label), ["strategy=pcgrad", "strategy=ew"])
        XCTAssertEqual(report.comparison.baselineRows.map(\.label), ["baseline=segmentation", "baseline=depth"])
        XCTAssertEqual(report.cells.map(\.identifier).prefix(2), ["strategy=pcgrad,seed=0", "strategy=pcgrad,seed=1"])
    }

    func testTrivialPredictorRowAndTimeIsNeverRanked() throws {
        let trivial: [String: [String: [String: Double]]] = ["test": ["segmentation": ["mIoU": 0.05, "pixelAccuracy": 0.30, "loss": 2.5],
                                                                      "depth": ["absError": 0.90, "relError": 0.40, "loss": 0.9]]]
        let cells = ReportTests.suiteCells.map { cell -> FakeCell in
            var cell = cell
            cell.trivial = cell.baselineTask == nil ? trivial : ["test": trivial["test"]!.filter { $0.key == cell.baselineTask }]
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        let row = try XCTUnwrap(report.comparison.trivialRow)
        XCTAssertEqual(row.headlines["segmentation"]!.mean, 0.05)
        XCTAssertEqual(row.headlines["depth"]!.mean, 0.90)
        XCTAssertEqual(row.deltaOverMetrics!.mean, ((0.05 - 0.45) / 0.45 + (0.30 - 0.73) / 0.73 - (0.9 - 0.5) / 0.5 - (0.4 - 0.2) / 0.2) / 4 * 100, accuracy: 1e-9)
        XCTAssertTrue(row.best.isEmpty)
        let text = report.table()
        XCTAssertTrue(text.split(separator: "\n").map { ReportTests.collapsed(String($0)) }.contains { $0.hasPrefix("trivial predictor — 0.9000 0.0500") }, text)
        XCTAssertTrue(text.contains("trivial predictor: a constant prediction fitted on the test split"), text)
        XCTAssertFalse(text.contains("differ for"), text)   // baselines record only their own task: no conflict
        XCTAssertFalse(report.comparison.rows.contains { $0.best.contains(.task("time")) })
    }

    func testMeanOfLastEvaluations() throws {
        let report = try SuiteReport(folders: [try suiteFolder()], options: ReportOptions(lastEvaluations: 2))
        // Validation values are fraction × test over evaluations 1…5: the last two average to 0.9 × test.
        let cell = report.groups[0].cells[0]
        XCTAssertEqual(cell.metrics(split: "validation")["segmentation"]!["mIoU"]!, 0.9 * 0.40, accuracy: 1e-12)
        XCTAssertEqual(cell.result.selectedSteps, [800, 1000])
        XCTAssertEqual(report.cells[0].metrics(split: "validation")["segmentation"]!["mIoU"]!, 0.40, accuracy: 1e-12, "raw cells stay as recorded")
        XCTAssertTrue(report.table().contains("mean of its last 2 evaluations"), report.table())
    }

    func testDropTheWorstSeedOnValidation() throws {
        // pcgrad seed 1 has the best test numbers but the worst validation error: it is the one left out.
        let cells = ReportTests.suiteCells.map { cell -> FakeCell in
            var cell = cell
            cell.validationError = cell.identifier == "strategy=pcgrad,seed=1" || cell.identifier == "strategy=ew,seed=0" ? 0.9 : 0.1
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)], options: ReportOptions(dropWorstSeeds: 1))
        XCTAssertEqual(report.comparison.rows.map(\.seeds), [["1"], ["0"]])
        XCTAssertEqual(report.comparison.rows[1].headlines["segmentation"]!.mean, 0.45, accuracy: 1e-12)
        XCTAssertEqual(report.cells.count, 8, "the raw results keep every seed")
        XCTAssertTrue(report.table().contains("strategy=pcgrad: left out seed 1 (highest validation error)."), report.table())
        // Never the last seed of a row.
        let single = try SuiteReport(folders: [try suiteFolder("single", cells: Array(cells.prefix(1)))], options: ReportOptions(dropWorstSeeds: 3))
        XCTAssertEqual(single.comparison.rows[0].seeds, ["0"])
    }

    func testTunedSettingIsChosenOnValidation() throws {
        // strategy=tmt with k ∈ {1, 5}: k=5 has the lower validation error but the worse test numbers.
        func tmt(_ k: String, seed: Int, error: Double, mIoU: Double, index: Int) -> FakeCell {
            FakeCell(identifier: "strategy=tmt,strategy.k=\(k),seed=\(seed)", coordinates: ["strategy": "tmt", "strategy.k": k, "seed": "\(seed)"],
                     baselineTask: nil, test: ["segmentation": ["mIoU": mIoU]], secondsPerStep: 0.1, index: index, validationError: error)
        }
        let cells = [tmt("1", seed: 0, error: 0.6, mIoU: 0.50, index: 0), tmt("1", seed: 1, error: 0.6, mIoU: 0.52, index: 1),
                     tmt("5", seed: 0, error: 0.4, mIoU: 0.40, index: 2), tmt("5", seed: 1, error: 0.5, mIoU: 0.42, index: 3)]
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)], options: ReportOptions(tuned: ["strategy.k"]))
        XCTAssertEqual(report.comparison.rows.count, 1)
        XCTAssertEqual(report.comparison.rows[0].label, "strategy=tmt")
        XCTAssertEqual(report.comparison.rows[0].chosenSetting, "strategy.k=5")
        XCTAssertEqual(report.comparison.rows[0].headlines["segmentation"]!.mean, 0.41, accuracy: 1e-12)
        XCTAssertEqual(report.tunings.first?.candidates.map(\.setting), ["strategy.k=1", "strategy.k=5"])
        XCTAssertEqual(report.tunings.first!.candidates[1].validationError!, 0.45, accuracy: 1e-12)
        let text = report.table()
        XCTAssertTrue(text.contains("chosen on validation"), text)
        XCTAssertTrue(text.contains("strategy=tmt: strategy.k=1 0.6000, strategy.k=5 0.4500 (chosen)"), text)
        XCTAssertTrue(report.markdown().contains("## Chosen on validation"))
    }

    func testProvenanceSummary() throws {
        let cells = ReportTests.suiteCells.enumerated().map { offset, cell -> FakeCell in
            var cell = cell
            cell.provenance = ReportTests.provenance(dirty: offset == 3, threads: offset < 4 ? 1 : 2, arrayJob: "77")
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        XCTAssertTrue(report.provenance.contains("commit aaaaaaaaaaaa (7 cells), aaaaaaaaaaaa (dirty) (1 cells)"), "\(report.provenance)")
        XCTAssertTrue(report.provenance.contains("threads 1 (4 cells), 2 (4 cells)"), "\(report.provenance)")
        XCTAssertTrue(report.provenance.contains("Slurm array job 77 (8 cells)"), "\(report.provenance)")
        XCTAssertTrue(report.provenance.contains("peak RSS at most 200 MiB"), "\(report.provenance)")
        XCTAssertTrue(report.markdown().contains("## Provenance"))
        XCTAssertTrue(report.table().contains("provenance: commit"))
        XCTAssertTrue(report.provenance.contains("numerics unknown"), "results from before the policy: \(report.provenance)")
        XCTAssertFalse(report.table().contains("warning:"), "one kernel family: no warning")
    }

    func testProvenanceWarnsWhenCellsMixKernelFamilies() throws {
        let cells = ReportTests.suiteCells.enumerated().map { offset, cell -> FakeCell in
            var cell = cell
            cell.provenance = ReportTests.provenance()
            cell.provenance!.numerics = offset < 6 ? "portable" : "native"
            cell.provenance!.openBLASCore = offset < 6 ? "Haswell" : "SkylakeX"
            cell.provenance!.kernelFamily = "OpenBLAS \(cell.provenance!.openBLASCore), Tandem x86-64 baseline"
            return cell
        }
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)])
        XCTAssertTrue(report.provenance.contains("numerics portable (6 cells), native (2 cells)"), "\(report.provenance)")
        XCTAssertTrue(report.provenance.contains("kernels OpenBLAS Haswell, Tandem x86-64 baseline (6 cells), OpenBLAS SkylakeX, Tandem x86-64 baseline (2 cells)"),
                      "\(report.provenance)")
        let table = report.table()
        XCTAssertTrue(table.contains("\nwarning: the cells mix 2 kernel families"), table)
        XCTAssertTrue(report.markdown().contains("- warning: the cells mix 2 kernel families"))
    }

    func testSuiteReportSectionIsReadCheckedAndRecorded() throws {
        let data = folder.appendingPathComponent("suite")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "name: x\n".write(to: data.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        func suite(_ report: String) throws -> Suite {
            let url = data.appendingPathComponent("s.yaml")
            try "name: s\nrecipe: base.yaml\nmatrix:\n  strategy.k: [1, 5]\n  seed: [0]\nbaselines: false\nreport: \(report)\n"
                .write(to: url, atomically: true, encoding: .utf8)
            return try Suite.load(url.path)
        }
        let options = try suite("{spread: standard-error, last_evaluations: 5, drop_worst_seeds: 1, tuned: [strategy.k]}").report
        XCTAssertEqual(options, ReportOptions(spread: .standardError, lastEvaluations: 5, dropWorstSeeds: 1, tuned: ["strategy.k"]))
        XCTAssertThrowsError(try suite("{tuned: [strategy.kk]}")) { XCTAssertTrue("\($0)".contains("did you mean 'strategy.k'"), "\($0)") }
        XCTAssertThrowsError(try suite("{tuned: [seed]}")) { XCTAssertTrue("\($0)".contains("cannot name seed"), "\($0)") }
        XCTAssertThrowsError(try suite("{spread: variance}")) { XCTAssertTrue("\($0)".contains("standard-error"), "\($0)") }
        XCTAssertThrowsError(try suite("{drop_worst: 1}")) { XCTAssertTrue("\($0)".contains("drop_worst"), "\($0)") }

        // Recorded in the output folder, a report uses them without being told.
        let root = try suiteFolder()
        try JSONEncoder().encode(ReportOptions.Record(suite: "fake", report: ReportOptions(spread: .standardError)))
            .write(to: ReportOptions.recordURL(in: root))
        XCTAssertEqual(try SuiteReport(folders: [root]).options.spread, .standardError)
        XCTAssertEqual(try SuiteReport(folders: [root], options: ReportOptions()).options.spread, .standardDeviation)
        try "{".write(to: ReportOptions.recordURL(in: root), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SuiteReport(folders: [root])) { XCTAssertTrue("\($0)".contains("suite.json is not a valid suite.json"), "\($0)") }
    }

    func testSHA256Vectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1000)).count, 64)
    }

    func testTrivialPredictorByHand() {
        let tasks = [TaskSpec(name: "segmentation", kind: .segmentation(classes: 3)), TaskSpec(name: "depth", kind: .depth),
                     TaskSpec(name: "label", kind: .classification(classes: 3))]
        let batch = Batch(input: Tensor(shape: [1, 1], scalars: [0]), targets: [
            "segmentation": Tensor(shape: [1, 1, 4], scalars: [0, 0, 1, -1]),     // majority 0; −1 ignored
            "depth": Tensor(shape: [1, 1, 1, 3], scalars: [2, 0, 4]),            // valid {2, 4}: mean 3
            "label": Tensor(shape: [4], scalars: [1, 1, 2, -1]),
        ])
        let metrics = TrivialReference.metrics(tasks: tasks, batches: [batch], metrics: StandardMetrics.accumulator(for:))
        XCTAssertEqual(metrics["segmentation"]!["mIoU"]!, (2.0 / 3 + 0) / 2, accuracy: 1e-12)   // class 2 never occurs
        XCTAssertEqual(metrics["segmentation"]!["pixelAccuracy"]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(metrics["segmentation"]!["loss"]!, -(2.0 / 3 * log(2.0 / 3) + 1.0 / 3 * log(1.0 / 3)), accuracy: 1e-5)
        XCTAssertEqual(metrics["depth"]!["absError"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(metrics["label"]!["accuracy"]!, 2.0 / 3, accuracy: 1e-12)
    }
}

extension ReportTests {
    func testReportCommandFlagsOverrideTheRecordedOptions() throws {
        guard let executable = KillAndResumeTests.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let root = try suiteFolder()
        try JSONEncoder().encode(ReportOptions.Record(suite: "fake", report: ReportOptions(spread: .standardError)))
            .write(to: ReportOptions.recordURL(in: root))
        let recorded = try SlurmTests.run(executable, ["report", root.path], in: folder)
        XCTAssertEqual(recorded.status, 0, recorded.output)
        XCTAssertTrue(recorded.output.contains("standard error of the mean"), recorded.output)
        let flagged = try SlurmTests.run(executable, ["report", root.path, "--spread", "std", "--drop-worst-seeds", "1", "--last-evaluations", "2"], in: folder)
        XCTAssertEqual(flagged.status, 0, flagged.output)
        XCTAssertTrue(flagged.output.contains("mean ± sample std"), flagged.output)
        XCTAssertTrue(flagged.output.contains("mean of its last 2 evaluations"), flagged.output)
        XCTAssertTrue(flagged.output.contains("left out seed"), flagged.output)
        let bad = try SlurmTests.run(executable, ["report", root.path, "--spread", "variance"], in: folder)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("variance"), bad.output)
    }
}
