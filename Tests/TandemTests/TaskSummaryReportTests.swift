import XCTest
import Foundation
import TandemCore
@testable import Tandem

/// The report's mean and worst-K columns over many tasks (`ReportOptions.taskSummary`, the IAL
/// paper's CIFAR-100 columns), checked against values worked out by hand.
extension ReportTests {
    static func accuracyCell(_ strategy: String, seed: Int, _ accuracies: [String: Double]) -> FakeCell {
        FakeCell(identifier: "strategy=\(strategy),seed=\(seed)", coordinates: ["strategy": strategy, "seed": "\(seed)"], baselineTask: nil,
                 test: accuracies.mapValues { ["accuracy": $0, "loss": 1] }, secondsPerStep: 0.1, steps: 10)
    }

    func testMeanAndWorstColumnsByHand() throws {
        let cells = [
            // ew: seed 0 mean (0.9+0.5+0.7+0.6)/4 = 0.675, worst two (0.5+0.6)/2 = 0.55;
            //     seed 1 mean 0.675, worst two (0.4+0.6)/2 = 0.5  →  0.675 and 0.525.
            Self.accuracyCell("ew", seed: 0, ["a": 0.9, "b": 0.5, "c": 0.7, "d": 0.6]),
            Self.accuracyCell("ew", seed: 1, ["a": 0.8, "b": 0.6, "c": 0.4, "d": 0.9]),
            // uw: seed 0 all 0.75; seed 1 mean 0.65, worst two (0.5+0.6)/2 = 0.55  →  0.7 and 0.65.
            Self.accuracyCell("uw", seed: 0, ["a": 0.75, "b": 0.75, "c": 0.75, "d": 0.75]),
            Self.accuracyCell("uw", seed: 1, ["a": 0.6, "b": 0.8, "c": 0.7, "d": 0.5]),
            // pcgrad seed 1 lacks d: only seed 0 counts (mean 0.5, worst two 0.35).
            Self.accuracyCell("pcgrad", seed: 0, ["a": 0.2, "b": 0.5, "c": 0.8, "d": 0.5]),
            Self.accuracyCell("pcgrad", seed: 1, ["a": 0.2, "b": 0.5, "c": 0.8]),
            // Baselines (one seed each): mean 0.7, worst two (0.5+0.6)/2 = 0.55.
            ReportTests.baseline("a", seed: 0, ["accuracy": 0.8], seconds: 0.1),
            ReportTests.baseline("b", seed: 0, ["accuracy": 0.5], seconds: 0.1),
            ReportTests.baseline("c", seed: 0, ["accuracy": 0.6], seconds: 0.1),
            ReportTests.baseline("d", seed: 0, ["accuracy": 0.9], seconds: 0.1),
        ]
        let summary = TaskSummary(metric: "accuracy", worst: 2, taskColumns: false)
        let report = try SuiteReport(folders: [try suiteFolder(cells: cells)], options: ReportOptions(taskSummary: summary))
        let rows = Dictionary(uniqueKeysWithValues: report.comparison.rows.map { ($0.label, $0) })
        let ew = try XCTUnwrap(rows["strategy=ew"]), uw = try XCTUnwrap(rows["strategy=uw"]), pcgrad = try XCTUnwrap(rows["strategy=pcgrad"])
        XCTAssertEqual(ew.summaryMean!.mean, 0.675, accuracy: 1e-12)
        XCTAssertEqual(ew.summaryWorst!.mean, 0.525, accuracy: 1e-12)
        XCTAssertEqual(ew.summaryWorst!.standardDeviation!, (2 * 0.025 * 0.025).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(uw.summaryMean!.mean, 0.7, accuracy: 1e-12)
        XCTAssertEqual(uw.summaryWorst!.mean, 0.65, accuracy: 1e-12)
        XCTAssertEqual(pcgrad.summaryMean!.count, 1)
        XCTAssertEqual(pcgrad.summaryMean!.mean, 0.5, accuracy: 1e-12)
        XCTAssertEqual(pcgrad.summaryWorst!.mean, 0.35, accuracy: 1e-12)
        // Best marks by the metric's direction (higher accuracy): uw in both columns.
        XCTAssertEqual(uw.best.intersection([.summaryMean, .summaryWorst]), [.summaryMean, .summaryWorst])
        XCTAssertTrue(ew.best.intersection([.summaryMean, .summaryWorst]).isEmpty)
        XCTAssertTrue(pcgrad.best.intersection([.summaryMean, .summaryWorst]).isEmpty)

        let table = report.table()
        let header = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("row") })
        XCTAssertTrue(header.contains("mean accuracy ↑ (4 tasks)") && header.contains("worst-2 accuracy ↑"), table)
        XCTAssertFalse(header.contains("a accuracy"), "task columns were asked to be hidden: \(table)")
        XCTAssertTrue(table.split(separator: "\n").map { ReportTests.collapsed(String($0)) }
            .contains { $0.hasPrefix("strategy=uw 2 0.7000 ± 0.0707* 0.6500 ± 0.1414*") }, table)
        XCTAssertTrue(table.contains("leave out strategy=pcgrad,seed=1"), table)
        XCTAssertTrue(table.contains("single-task baselines (each task's seed mean): mean accuracy ↑ (4 tasks) 0.7000, worst-2 accuracy ↑ 0.5500."), table)
        XCTAssertTrue(report.markdown().contains("worst-2 accuracy ↑"))

        // With the task columns kept, they come first.
        let full = try SuiteReport(folders: [try suiteFolder(cells: cells)],
                                   options: ReportOptions(taskSummary: TaskSummary(metric: "accuracy", worst: 2))).table()
        XCTAssertTrue(full.contains("a accuracy ↑") && full.contains("worst-2 accuracy ↑"), full)
    }

    func testWorstFollowsTheMetricsDirection() {
        let errors = TaskSummary(metric: "absError", worst: 2)
        let values = errors.values(of: ["x": ["absError": 1], "y": ["absError": 3], "z": ["absError": 2]], tasks: ["x", "y", "z"])
        XCTAssertEqual(values?.mean ?? 0, 2, accuracy: 1e-12)
        XCTAssertEqual(values?.worst ?? 0, 2.5, accuracy: 1e-12)   // the two highest errors
        XCTAssertNil(errors.values(of: ["x": ["absError": 1]], tasks: ["x"]))   // fewer tasks than worst
        XCTAssertNil(errors.values(of: ["x": ["absError": .nan], "y": ["absError": 1]], tasks: ["x", "y"]))
    }

    func testTaskSummaryIsReadFromTheSuiteAndChecked() throws {
        let data = folder.appendingPathComponent("summary-suite")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try "name: x\n".write(to: data.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        func suite(_ report: String) throws -> Suite {
            let url = data.appendingPathComponent("s.yaml")
            try "name: s\nrecipe: base.yaml\nmatrix:\n  seed: [0]\nbaselines: false\nreport: \(report)\n"
                .write(to: url, atomically: true, encoding: .utf8)
            return try Suite.load(url.path)
        }
        XCTAssertEqual(try suite("{task_summary: {metric: accuracy, worst: 5, task_columns: false}}").report.taskSummary,
                       TaskSummary(metric: "accuracy", worst: 5, taskColumns: false))
        XCTAssertEqual(try suite("{task_summary: {metric: mIoU}}").report.taskSummary, TaskSummary(metric: "mIoU", worst: 5))
        XCTAssertThrowsError(try suite("{task_summary: {metric: acuracy}}")) { XCTAssertTrue("\($0)".contains("did you mean 'accuracy'"), "\($0)") }
        XCTAssertThrowsError(try suite("{task_summary: {metric: accuracy, worst: 0}}")) { XCTAssertTrue("\($0)".contains("worst"), "\($0)") }
        XCTAssertThrowsError(try suite("{task_summary: {worst: 5}}")) { XCTAssertTrue("\($0)".contains("metric"), "\($0)") }
        XCTAssertThrowsError(try suite("{task_summary: {metric: accuracy, wrost: 5}}")) { XCTAssertTrue("\($0)".contains("wrost"), "\($0)") }
        // Recorded with the other options (suite.json), so `tandem report` shows the same columns.
        let record = ReportOptions.Record(suite: "s", report: ReportOptions(taskSummary: TaskSummary(metric: "accuracy", worst: 5)))
        XCTAssertEqual(try JSONDecoder().decode(ReportOptions.Record.self, from: JSONEncoder().encode(record)), record)
        XCTAssertNil(try JSONDecoder().decode(ReportOptions.self, from: Data(#"{"spread":"std","dropWorstSeeds":0,"tuned":[]}"#.utf8)).taskSummary)
    }
}
