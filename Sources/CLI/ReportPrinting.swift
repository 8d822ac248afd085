import Foundation
import Tandem

/// Prints a suite's comparison table and writes its report files (results.jsonl, results.csv,
/// report.md, plots/) into `writeTo` or the first folder.
func printReport(folders: [URL], writeTo: URL? = nil) throws {
    let report: SuiteReport
    do { report = try SuiteReport(folders: folders) } catch { throw inputError("\(error)") }
    print(report.table())
    let destination = writeTo ?? folders[0]
    try report.write(to: destination)
    print("report: \(destination.appendingPathComponent("report.md").path)")
}
