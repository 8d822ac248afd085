import XCTest
import Foundation
@testable import Tandem

/// Reports against a reference row (issue 19 item 7), on hand-written suite folders from `ReportTests`.
extension ReportTests {
    /// strategy ∈ {ew, uw, dwa} × model.split ∈ {1, 2} × seeds 0–2, one task (so ranks are by mIoU):
    /// - split 1: uw − ew = [0.01, 0.02, 0.03]; dwa equals ew seed by seed;
    /// - split 2: uw ran seed 0 only (one pair); dwa did not run.
    static let settingCells: [FakeCell] = {
        func cell(_ strategy: String, split: Int, seed: Int, _ mIoU: Double, index: Int) -> FakeCell {
            FakeCell(identifier: "strategy=\(strategy),model.split=\(split),seed=\(seed)",
                     coordinates: ["strategy": strategy, "model.split": "\(split)", "seed": "\(seed)"], baselineTask: nil,
                     test: ["segmentation": ["mIoU": mIoU]], secondsPerStep: 0.1, steps: 10, index: index)
        }
        return [
            cell("ew", split: 1, seed: 0, 0.40, index: 0), cell("ew", split: 1, seed: 1, 0.50, index: 1), cell("ew", split: 1, seed: 2, 0.60, index: 2),
            cell("ew", split: 2, seed: 0, 0.30, index: 3), cell("ew", split: 2, seed: 1, 0.30, index: 4), cell("ew", split: 2, seed: 2, 0.30, index: 5),
            cell("uw", split: 1, seed: 0, 0.41, index: 6), cell("uw", split: 1, seed: 1, 0.52, index: 7), cell("uw", split: 1, seed: 2, 0.63, index: 8),
            cell("uw", split: 2, seed: 0, 0.20, index: 9),
            cell("dwa", split: 1, seed: 0, 0.40, index: 12), cell("dwa", split: 1, seed: 1, 0.50, index: 13), cell("dwa", split: 1, seed: 2, 0.60, index: 14),
        ]
    }()

    func testPairedDifferencesAndMeanRanksPerSetting() throws {
        let report = try SuiteReport(folders: [try suiteFolder(cells: ReportTests.settingCells)], options: ReportOptions(reference: "ew"))
        let comparison = try XCTUnwrap(report.comparison.comparison)
        XCTAssertEqual(comparison.reference, ReferenceRow(axis: "strategy", value: "ew"))
        XCTAssertEqual(comparison.settingAxes, ["model.split"])
        XCTAssertEqual(comparison.settings, ["model.split=1", "model.split=2"])
        XCTAssertEqual(comparison.rankedBy, .task("segmentation"))
        let entries = Dictionary(uniqueKeysWithValues: comparison.entries.map { ($0.row, $0) })

        // uw at split 1: differences [0.01, 0.02, 0.03], mean 0.02, s_d 0.01, 0.02 ± 4.3027·0.01/√3.
        let uw1 = try XCTUnwrap(entries["strategy=uw, model.split=1"]?.differences[.task("segmentation")])
        XCTAssertEqual(uw1.count, 3)
        XCTAssertEqual(uw1.mean, 0.02, accuracy: 1e-12)
        XCTAssertEqual(uw1.standardDeviation!, 0.01, accuracy: 1e-12)
        XCTAssertEqual(uw1.tInterval!.lowerBound, 0.02 - 4.302652729749464 * 0.01 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertFalse(uw1.tExcludesZero)
        XCTAssertEqual(entries["strategy=uw, model.split=1"]?.referenceRow, "strategy=ew, model.split=1")
        // uw at split 2: one pair, −0.1, no interval.
        let uw2 = try XCTUnwrap(entries["strategy=uw, model.split=2"]?.differences[.task("segmentation")])
        XCTAssertEqual(uw2.count, 1)
        XCTAssertEqual(uw2.mean, -0.1, accuracy: 1e-12)
        XCTAssertNil(uw2.tInterval)
        // dwa equals ew: differences 0, a degenerate interval at 0 that does not exclude it.
        let dwa = try XCTUnwrap(entries["strategy=dwa, model.split=1"]?.differences[.task("segmentation")])
        XCTAssertEqual(dwa.tInterval, 0...0)
        XCTAssertFalse(dwa.tExcludesZero)
        XCTAssertTrue(entries["strategy=ew, model.split=1"]!.differences.isEmpty)

        // Ranks by mIoU: split 1 uw 0.52 > ew = dwa 0.50 → 1, 2.5, 2.5; split 2 ew 0.30 > uw 0.20 → 1, 2.
        XCTAssertEqual(entries["strategy=uw, model.split=1"]?.rank, 1)
        XCTAssertEqual(entries["strategy=ew, model.split=1"]?.rank, 2.5)
        XCTAssertEqual(entries["strategy=dwa, model.split=1"]?.rank, 2.5)
        XCTAssertEqual(entries["strategy=ew, model.split=2"]?.rank, 1)
        XCTAssertEqual(entries["strategy=uw, model.split=2"]?.rank, 2)
        XCTAssertEqual(entries["strategy=ew, model.split=2"]?.meanRank, 1.75)
        XCTAssertEqual(entries["strategy=uw, model.split=1"]?.meanRank, 1.5)
        XCTAssertEqual(entries["strategy=dwa, model.split=1"]?.meanRank, 2.5)
        XCTAssertEqual(entries["strategy=dwa, model.split=1"]?.rankedSettings, 1)

        let text = report.table()
        let lines = text.split(separator: "\n").map { ReportTests.collapsed(String($0)) }
        XCTAssertTrue(lines.contains { $0 == "row seeds segmentation mIoU ↑ Δ_MTL metrics % Δ_MTL tasks % mean rank time/step" }, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("strategy=ew, model.split=2 3 0.3000 ± 0.0000 — — 1.75") }, text)
        XCTAssertTrue(lines.contains { $0 == "vs strategy=ew pairs segmentation mIoU ↑ Δ [95% t]" }, text)
        XCTAssertTrue(lines.contains { $0 == "strategy=uw, model.split=1 3 +0.0200 [-0.0048, +0.0448]" }, text)
        XCTAssertTrue(lines.contains { $0 == "strategy=uw, model.split=2 1 -0.1000 (1 pair, no interval)" }, text)
        XCTAssertTrue(lines.contains { $0 == "strategy=dwa, model.split=1 3 +0.0000 [+0.0000, +0.0000]" }, text)
        XCTAssertTrue(text.contains("Paired differences against strategy=ew of the same setting (model.split)"), text)
        XCTAssertTrue(text.contains("averaged over the 2 settings of its method"), text)
        XCTAssertTrue(text.contains("Ranked in fewer than 2 settings (a mean over those only): strategy=dwa (1)."), text)
    }

    func testDeltaDifferencesByHandAndTheMarker() throws {
        // ReportTests.suiteCells: ew and pcgrad × seeds 0, 1, with baselines; Δ_MTL metrics per cell by hand.
        let report = try SuiteReport(folders: [try suiteFolder()], options: ReportOptions(reference: "strategy=ew"))
        let comparison = try XCTUnwrap(report.comparison.comparison)
        XCTAssertEqual(comparison.settingAxes, [])
        XCTAssertEqual(comparison.rankedBy, .deltaOverMetrics)
        func delta(_ mIoU: Double, _ pixel: Double, _ absolute: Double, _ relative: Double) -> Double {
            ((mIoU - 0.45) / 0.45 + (pixel - 0.73) / 0.73 - (absolute - 0.5) / 0.5 - (relative - 0.2) / 0.2) / 4 * 100
        }
        let d0 = delta(0.45, 0.74, 0.48, 0.19) - delta(0.40, 0.70, 0.50, 0.20)
        let d1 = delta(0.47, 0.76, 0.52, 0.21) - delta(0.42, 0.72, 0.54, 0.22)
        let pcgrad = comparison.entries[1]
        XCTAssertEqual(pcgrad.row, "strategy=pcgrad")
        let difference = try XCTUnwrap(pcgrad.differences[.deltaOverMetrics])
        XCTAssertEqual(difference.mean, (d0 + d1) / 2, accuracy: 1e-9)
        // Two pairs: s_d = |d0 − d1|/√2, so the half-width is t(0.975; 1)·|d0 − d1|/2.
        XCTAssertEqual(difference.tInterval!.upperBound - difference.mean, 12.706204736174705 * abs(d0 - d1) / 2, accuracy: 1e-6)
        // segmentation mIoU: +0.05 at both seeds: a degenerate interval away from 0, marked.
        let mIoU = try XCTUnwrap(pcgrad.differences[.task("segmentation")])
        XCTAssertEqual(mIoU.mean, 0.05, accuracy: 1e-12)
        XCTAssertTrue(mIoU.tExcludesZero)
        XCTAssertEqual(pcgrad.rank, 1)
        XCTAssertEqual(comparison.entries[0].rank, 2)
        XCTAssertTrue(report.table().contains("+0.0500 [+0.0500, +0.0500]*"), report.table())
        XCTAssertTrue(report.table().contains("in the suite's one setting"), report.table())

        // The same figures in the written files.
        let output = folder.appendingPathComponent("written")
        try report.write(to: output)
        let csv = try String(contentsOf: output.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(csv.first, "identifier,strategy,seed,baseline,split,task,metric,statistic,value")
        XCTAssertTrue(csv.contains("strategy=pcgrad,pcgrad,,,test,segmentation,mIoU,pairs,2"), csv.joined(separator: "\n"))
        XCTAssertTrue(csv.contains("strategy=pcgrad,pcgrad,,,test,segmentation,mIoU,t_excludes_zero,1"), csv.joined(separator: "\n"))
        XCTAssertTrue(csv.contains("strategy=pcgrad,pcgrad,,,test,Δ_MTL,metrics,difference_mean,\(difference.mean)"), csv.joined(separator: "\n"))
        XCTAssertTrue(csv.contains("strategy=ew,ew,,,test,Δ_MTL,metrics,mean_rank,2.0"), csv.joined(separator: "\n"))
        XCTAssertTrue(csv.contains("\"strategy=ew,seed=0\",ew,0,,test,segmentation,mIoU,,0.4"), "cells keep their rows, with an empty statistic")

        let lines = try String(contentsOf: output.appendingPathComponent("results.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 8 + 2)
        let line = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[9].utf8)) as? [String: Any])
        let entry = try XCTUnwrap(line["comparison"] as? [String: Any])
        XCTAssertEqual(entry["row"] as? String, "strategy=pcgrad")
        XCTAssertEqual(entry["reference"] as? String, "strategy=ew")
        XCTAssertEqual(entry["rank"] as? Double, 1)
        let differences = try XCTUnwrap(entry["differences"] as? [[String: Any]])
        let segmentation = try XCTUnwrap(differences.first { $0["task"] as? String == "segmentation" })
        let written = try XCTUnwrap(segmentation["tInterval"] as? [Double])
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(written[0], mIoU.tInterval!.lowerBound, accuracy: 1e-12)
        XCTAssertEqual(written[1], mIoU.tInterval!.upperBound, accuracy: 1e-12)
        XCTAssertEqual(segmentation["bootstrapExcludesZero"] as? Bool, true)

        let markdown = try String(contentsOf: output.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("Paired differences against strategy=ew (\\* : the 95 % t-interval excludes 0):"), markdown)
        XCTAssertTrue(markdown.contains("| strategy=pcgrad | segmentation mIoU ↑ | 2 | +0.0500 | [+0.0500, +0.0500] | [+0.0500, +0.0500] |"), markdown)
        XCTAssertTrue(markdown.contains("| mean rank |"), markdown)
    }

    func testIncludedRowsArePairedOnlyWithinASetting() throws {
        // An included row (`name=oracle`, no strategy) beside ew: paired when ew has no other axis,
        // unpaired (and unranked) when ew and another row vary over model.split and the oracle does not.
        func cell(_ coordinates: [String: String], seed: Int, _ mIoU: Double) -> FakeCell {
            var all = coordinates
            all["seed"] = "\(seed)"
            let identifier = coordinates.sorted { $0.key > $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + ",seed=\(seed)"
            return FakeCell(identifier: identifier, coordinates: all, baselineTask: nil, test: ["segmentation": ["mIoU": mIoU]], secondsPerStep: 0.1, steps: 10)
        }
        let oracle = [cell(["name": "oracle"], seed: 0, 0.6), cell(["name": "oracle"], seed: 1, 0.7)]
        let flat = [cell(["strategy": "ew"], seed: 0, 0.5), cell(["strategy": "ew"], seed: 1, 0.5)] + oracle
        let paired = try XCTUnwrap(try SuiteReport(folders: [try suiteFolder("flat", cells: flat)], options: ReportOptions(reference: "ew")).comparison.comparison)
        let row = try XCTUnwrap(paired.entries.first { $0.row == "name=oracle" })
        XCTAssertEqual(row.differences[.task("segmentation")]?.differences.map { ($0 * 1e9).rounded() / 1e9 }, [0.1, 0.2])
        XCTAssertEqual(row.rank, 1)

        // An axis only the reference rows have (how an included Primary only row is built: its
        // `tasks:`) is not a setting: every other row is paired with it.
        let primaryOnly = [cell(["name": "primary-only", "tasks": "[segmentation]"], seed: 0, 0.4),
                           cell(["name": "primary-only", "tasks": "[segmentation]"], seed: 1, 0.4)]
        let built = try XCTUnwrap(try SuiteReport(folders: [try suiteFolder("built", cells: flat + primaryOnly)],
                                                  options: ReportOptions(reference: "primary-only")).comparison.comparison)
        XCTAssertEqual(built.settingAxes, [])
        let ew = try XCTUnwrap(built.entries.first { $0.row == "strategy=ew" })
        XCTAssertEqual(ew.differences[.task("segmentation")]?.differences.map { ($0 * 1e9).rounded() / 1e9 }, [0.1, 0.1])

        // When other rows have model.split too, it is a setting, and the oracle (without it) is in none.
        let split = [cell(["strategy": "ew", "model.split": "1"], seed: 0, 0.5), cell(["strategy": "ew", "model.split": "1"], seed: 1, 0.5),
                     cell(["strategy": "pcgrad", "model.split": "1"], seed: 0, 0.55), cell(["strategy": "pcgrad", "model.split": "1"], seed: 1, 0.55)] + oracle
        let report = try SuiteReport(folders: [try suiteFolder("split", cells: split)], options: ReportOptions(reference: "ew"))
        let unpaired = try XCTUnwrap(report.comparison.comparison?.entries.first { $0.row == "name=oracle" })
        XCTAssertNil(unpaired.referenceRow)
        XCTAssertTrue(unpaired.differences.isEmpty)
        XCTAssertNil(unpaired.rank)
        XCTAssertTrue(report.table().contains("No reference row in the setting of name=oracle: no paired differences or rank."), report.table())
    }

    func testWithoutAReferenceNothingChanges() throws {
        let report = try SuiteReport(folders: [try suiteFolder()])
        XCTAssertNil(report.comparison.comparison)
        XCTAssertFalse(report.table().contains("mean rank"))
        XCTAssertFalse(report.table().contains("Paired differences"))
    }

    func testAnUnknownReferenceRowIsAnErrorAndAnUnfinishedOneANote() throws {
        let root = try suiteFolder(unfinished: ["strategy=uw,seed=0"])
        XCTAssertThrowsError(try SuiteReport(folders: [root], options: ReportOptions(reference: "pcgard"))) { error in
            XCTAssertTrue("\(error)".contains("reference row (report.reference or --reference): unknown row 'pcgard' — did you mean 'pcgrad'?"), "\(error)")
        }
        // uw has a cell.json but no result yet: a valid reference without finished cells.
        let report = try SuiteReport(folders: [root], options: ReportOptions(reference: "uw"))
        XCTAssertTrue(report.table().contains("Paired differences: none — no finished cells of the reference row strategy=uw."), report.table())
        XCTAssertFalse(report.table().contains("mean rank"))
    }

    func testSuiteFileReferenceIsChecked() throws {
        let data = folder.appendingPathComponent("suite-file")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "name: x\n".write(to: data.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        let url = data.appendingPathComponent("s.yaml")
        func suite(_ report: String) throws -> Suite {
            try "name: s\nrecipe: base.yaml\nmatrix:\n  strategy: [ew, pcgrad]\n  strategy.k: [1, 5]\n  seed: [0]\nbaselines: false\nreport: \(report)\n"
                .write(to: url, atomically: true, encoding: .utf8)
            return try Suite.load(url.path)
        }
        XCTAssertEqual(try suite("{reference: ew}").report.reference, "ew")
        XCTAssertEqual(try suite("{reference: strategy.k=5}").report.reference, "strategy.k=5")
        XCTAssertThrowsError(try suite("{reference: pcgard}")) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(url.path):8:"), "\(error)")
            XCTAssertTrue("\(error)".contains("report.reference: unknown row 'pcgard' — did you mean 'pcgrad'? (valid: ew, pcgrad, 1, 5)"), "\(error)")
        }
        XCTAssertThrowsError(try suite("{reference: 5, tuned: [strategy.k]}"), "a tuned axis names no row") { error in
            XCTAssertTrue("\(error)".contains("unknown row '5'"), "\(error)")
        }
        XCTAssertThrowsError(try suite("{reference: [ew]}")) { XCTAssertTrue("\($0)".contains("report.reference"), "\($0)") }
    }

    func testReferenceFlagOverridesTheSuiteFile() throws {
        guard let executable = KillAndResumeTests.executable else { return XCTFail("the tandem executable was not built beside the tests") }
        let root = try suiteFolder()
        try JSONEncoder().encode(ReportOptions.Record(suite: "fake", report: ReportOptions(reference: "ew")))
            .write(to: ReportOptions.recordURL(in: root))
        let recorded = try SlurmTests.run(executable, ["report", root.path], in: folder)
        XCTAssertEqual(recorded.status, 0, recorded.output)
        XCTAssertTrue(recorded.output.contains("vs strategy=ew"), recorded.output)
        let flagged = try SlurmTests.run(executable, ["report", root.path, "--reference", "pcgrad"], in: folder)
        XCTAssertEqual(flagged.status, 0, flagged.output)
        XCTAssertTrue(flagged.output.contains("vs strategy=pcgrad"), flagged.output)
        XCTAssertFalse(flagged.output.contains("vs strategy=ew"), flagged.output)
        let bad = try SlurmTests.run(executable, ["report", root.path, "--reference", "pcgard"], in: folder)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("did you mean 'pcgrad'"), bad.output)

        // `tandem suite` checks --reference against the suite file before running anything.
        try "name: x\n".write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        let suiteFile = folder.appendingPathComponent("s.yaml")
        try "name: s\nrecipe: base.yaml\nmatrix:\n  strategy: [ew, uw]\n  seed: [0]\nbaselines: false\n".write(to: suiteFile, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("never")
        let refused = try SlurmTests.run(executable, ["suite", suiteFile.path, "--reference", "eww", "--output", output.path], in: folder)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("--reference: unknown row 'eww' — did you mean 'ew'?"), refused.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "nothing ran")
    }
}
