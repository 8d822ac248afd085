import ArgumentParser
import Foundation
import Tandem

/// The report options every command that prints a table takes; each overrides what the suite
/// file's `report:` section (recorded as `suite.json`) says.
struct ReportFlags: ParsableArguments {
    @Option(help: "What follows ±: std (sample standard deviation) or standard-error.") var spread: ReportOptions.Spread?
    @Option(help: "Each cell's metrics = the mean of its last N evaluations.") var lastEvaluations: Int?
    @Option(help: "Per row, leave out the N seeds with the highest validation error.") var dropWorstSeeds: Int?
    @Option(help: "Comma-separated matrix axes tuned on validation (per method the setting with the best validation criterion is shown).") var tuned: String?
    @Option(help: "Compare every row with this one, seed by seed (VALUE or AXIS=VALUE, e.g. ew): paired differences with 95 % intervals, and a mean-rank column.") var reference: String?

    func validate() throws {
        if let lastEvaluations, lastEvaluations < 1 { throw ValidationError("--last-evaluations must be at least 1, found \(lastEvaluations)") }
        if let dropWorstSeeds, dropWorstSeeds < 0 { throw ValidationError("--drop-worst-seeds must be at least 0, found \(dropWorstSeeds)") }
    }

    /// `base` with the given flags applied; `nil` when no flag is given (the recorded options apply).
    func options(over base: ReportOptions?) -> ReportOptions? {
        guard spread != nil || lastEvaluations != nil || dropWorstSeeds != nil || tuned != nil || reference != nil else { return base }
        var options = base ?? ReportOptions()
        if let spread { options.spread = spread }
        if let lastEvaluations { options.lastEvaluations = lastEvaluations }
        if let dropWorstSeeds { options.dropWorstSeeds = dropWorstSeeds }
        if let tuned { options.tuned = tuned.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let reference { options.reference = reference }
        return options
    }
}

extension ReportOptions.Spread: ExpressibleByArgument {}

/// Prints a suite's comparison table and writes its report files (results.jsonl, results.csv,
/// report.md, plots/) into `writeTo` or the first folder.
func printReport(folders: [URL], writeTo: URL? = nil, flags: ReportFlags? = nil) throws {
    let report: SuiteReport
    do {
        let recorded = try folders.lazy.compactMap { try ReportOptions.recorded(in: $0) }.first
        report = try SuiteReport(folders: folders, options: flags?.options(over: recorded) ?? recorded)
    } catch { throw inputError("\(error)") }
    print(report.table())
    let destination = writeTo ?? folders[0]
    try report.write(to: destination)
    print("report: \(destination.appendingPathComponent("report.md").path)")
}
