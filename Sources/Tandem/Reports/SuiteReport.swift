import Foundation
import TandemCore

/// The report of a suite, built from one or more output folders (e.g. the shards of one suite):
/// the comparison table, machine-readable results and a Markdown report with SVG plots.
///
/// ```swift
/// let report = try SuiteReport(folders: [URL(fileURLWithPath: "runs/quickstart")])
/// print(report.table())
/// try report.write(to: URL(fileURLWithPath: "runs/quickstart"))
/// ```
///
/// The cells are the union of every `FOLDER/cells/*/` holding a `cell.json`; those with a
/// `result.json` are finished, the others are listed as not finished. A cell found in two folders
/// must have equal results in both.
public struct SuiteReport {
    public let suiteName: String
    /// Every finished cell as recorded (before `options` change metrics or leave cells out), in
    /// table order (matrix groups, then baselines; seeds in order).
    public let cells: [ReportCell]
    /// Identifiers of cells with a `cell.json` but no `result.json` in any folder.
    public let unfinished: [String]
    /// The groups the table shows: after the last-N-evaluations mean, dropped seeds and tuned choices.
    public let groups: [CellGroup]
    public let options: ReportOptions
    /// For each tuned method, its settings' validation errors and the one kept.
    public let tunings: [ValidationSelection.Tuning]
    public let comparison: ComparisonTable
    public let plots: [ReportPlot]
    /// What was left out (folders without `cell.json`, runs without records, dropped seeds), for the report.
    public let notes: [String]
    /// How `options` changed what the table shows (last-N means, dropped seeds), for the report.
    public let selectionNotes: [String]
    /// Where the results came from, summarised over the cells (`Provenance.summary`).
    public let provenance: [String]

    /// Reads and merges `folders`, summarising as `options` say (default: the options the suite
    /// recorded in the first folder's `suite.json`, else `ReportOptions()`). Throws, naming the file,
    /// when a `cell.json` or `result.json` cannot be read, when a cell appears twice with different
    /// results, when the folders hold cells of different suites, or when they hold no cells at all.
    public init(folders: [URL], options: ReportOptions? = nil) throws {
        var finished: [String: ReportCell] = [:]
        var described: [String: CellDescription] = [:]
        var suites: [String: URL] = [:]
        var notes: [String] = []
        var recordedOptions: ReportOptions? = nil
        let decoder = JSONDecoder()
        for folder in folders {
            let cellsFolder = folder.appendingPathComponent("cells")
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: cellsFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandError("\(folder.path) is not a suite output folder: it has no cells/ folder")
            }
            if recordedOptions == nil { recordedOptions = try ReportOptions.recorded(in: folder) }
            let names = try FileManager.default.contentsOfDirectory(atPath: cellsFolder.path).sorted()
            for name in names {
                let cellFolder = cellsFolder.appendingPathComponent(name)
                let descriptionURL = cellFolder.appendingPathComponent("cell.json")
                let resultURL = cellFolder.appendingPathComponent("result.json")
                let hasResult = FileManager.default.fileExists(atPath: resultURL.path)
                guard FileManager.default.fileExists(atPath: descriptionURL.path) else {
                    if hasResult { notes.append("\(cellFolder.path) has a result.json but no cell.json; it is left out.") }
                    continue
                }
                let description: CellDescription = try SuiteReport.decode(descriptionURL, decoder)
                if suites[description.suite] == nil { suites[description.suite] = folder }
                if described[description.identifier] == nil { described[description.identifier] = description }
                guard hasResult else { continue }
                let cell = ReportCell(description: description, result: try SuiteReport.decode(resultURL, decoder), folder: cellFolder)
                if let existing = finished[description.identifier] {
                    guard existing.result == cell.result else {
                        throw CommandError("cell \(description.identifier) has different results in \(existing.folder.appendingPathComponent("result.json").path) and \(resultURL.path)")
                    }
                    continue
                }
                finished[description.identifier] = cell
            }
        }
        guard !described.isEmpty else {
            throw CommandError("no suite cells found: none of \(folders.map { $0.appendingPathComponent("cells").path }.joined(separator: ", ")) holds a */cell.json")
        }
        guard suites.count == 1, let suiteName = suites.keys.first else {
            throw CommandError("the folders hold cells of different suites: " + suites.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value.path))" }.joined(separator: ", "))
        }
        let options = options ?? recordedOptions ?? ReportOptions()
        self.suiteName = suiteName
        self.options = options
        cells = CellGroup.groups(of: Array(finished.values)).flatMap(\.cells)
        unfinished = described.keys.filter { finished[$0] == nil }.sorted()

        var shown = Array(finished.values)
        var selectionNotes: [String] = []
        if let last = options.lastEvaluations {
            shown = shown.map { $0.usingLastEvaluations(last) }
            selectionNotes.append("Each cell's metrics are the mean of its last \(last) evaluations (report option last_evaluations), not the recipe's selection.")
        }
        var groups = CellGroup.groups(of: shown)
        let dropped = ValidationSelection.droppingWorstSeeds(groups, count: options.dropWorstSeeds)
        groups = dropped.groups
        if options.dropWorstSeeds > 0 {
            selectionNotes.append("Per row, the \(options.dropWorstSeeds) seed(s) with the highest validation error (the recipe's selection criterion) are left out (report option drop_worst_seeds):")
            selectionNotes += dropped.notes.map { "  " + $0 }
        }
        let tuned = ValidationSelection.choosingTunedSettings(groups, tuned: options.tuned)
        self.groups = tuned.groups
        tunings = tuned.tunings
        let reference = try options.reference.map { text in
            do { return try ReferenceRow.resolve(text, among: SuiteReport.rows(of: Array(described.values), tuned: options.tuned)) }
            catch let error as CommandError { throw CommandError("reference row (report.reference or --reference): \(error.message)") }
        }
        comparison = ComparisonTable(groups: tuned.groups, options: options, reference: reference)
        let figures = try ReportPlots.make(groups: tuned.groups, columns: comparison.taskColumns, split: comparison.split, spread: options.spread)
        plots = figures.plots
        self.notes = notes + figures.notes
        self.selectionNotes = selectionNotes
        provenance = Provenance.summary(of: cells.map(\.result.provenance))
    }

    /// Every axis of the matrix cells, finished or not (so a reference row still running is known),
    /// with its values in suite order; without the seed and the `tuned` axes.
    static func rows(of descriptions: [CellDescription], tuned: [String]) -> [(axis: String, values: [String])] {
        var rows: [(axis: String, values: [String])] = []
        let ordered = descriptions.filter { $0.baselineTask == nil }.sorted { ($0.index ?? Int.max, $0.identifier) < ($1.index ?? Int.max, $1.identifier) }
        for description in ordered {
            for axis in description.axes where axis != "seed" && !tuned.contains(axis) {
                let value = description.coordinates[axis]!
                if let index = rows.firstIndex(where: { $0.axis == axis }) {
                    if !rows[index].values.contains(value) { rows[index].values.append(value) }
                } else {
                    rows.append((axis, [value]))
                }
            }
        }
        return rows
    }

    static func decode<Value: Decodable>(_ url: URL, _ decoder: JSONDecoder) throws -> Value {
        let data: Data
        do { data = try Data(contentsOf: url) }
        catch { throw CommandError("cannot read \(url.path): \(error.localizedDescription)") }
        do { return try decoder.decode(Value.self, from: data) }
        catch { throw CommandError("\(url.path) is not a valid \(url.lastPathComponent): \(ReportPlots.describe(error))") }
    }

    /// Every coordinate name, in the order the cells' identifiers list them (`baseline` after the matrix axes).
    public var axes: [String] { CellGroup.axisOrder(of: cells) }

    /// The comparison table as plain text for the terminal, with the cells not yet finished.
    public func table() -> String {
        var text = "Suite \(suiteName): \(cells.count) finished cells\(unfinished.isEmpty ? "" : ", \(unfinished.count) not finished")\n\n"
        text += comparison.text()
        if !tunings.isEmpty { text += tuningLines().joined(separator: "\n") + "\n" }
        if !selectionNotes.isEmpty { text += selectionNotes.joined(separator: "\n") + "\n" }
        if !unfinished.isEmpty { text += "Not finished: \(unfinished.joined(separator: "; "))\n" }
        let warnings = provenance.filter { $0.hasPrefix("warning:") }, facts = provenance.filter { !$0.hasPrefix("warning:") }
        text += warnings.map { $0 + "\n" }.joined()
        if !facts.isEmpty { text += "provenance: " + facts.joined(separator: "; ") + "\n" }
        return text
    }

    /// One line per tuned method: every setting's validation error, the kept one marked.
    func tuningLines() -> [String] {
        ["Chosen on validation (report option tuned: \(options.tuned.joined(separator: ", ")); lowest mean validation error of the recipe's criterion):"]
            + tunings.map { tuning in
                "  \(tuning.method): " + tuning.candidates.map { candidate in
                    let value = candidate.validationError.map { String(format: "%.4f", $0) } ?? "—"
                    return "\(candidate.setting) \(value)" + (candidate.setting == tuning.chosen ? " (chosen)" : "")
                }.joined(separator: ", ")
            }
    }

    /// `report.md`: the table, then the plots (as written by `write(to:)` under `plots/`).
    public func markdown() -> String {
        var lines = ["# Suite \(suiteName)", "",
                     "\(cells.count) finished cells\(unfinished.isEmpty ? "" : ", \(unfinished.count) not finished"). "
                     + "Machine-readable results: [results.jsonl](results.jsonl) (one line per cell), [results.csv](results.csv) (one row per cell, split, task and metric)"
                     + (comparison.comparison == nil ? "." : "; both also hold the comparison with the reference row (`comparison` lines; rows with a `statistic`)."),
                     "", "## Comparison", "", comparison.markdown()]
        if !selectionNotes.isEmpty { lines += selectionNotes.map { $0.hasPrefix("  ") ? "  - " + $0.dropFirst(2) : "- " + $0 } + [""] }
        if !tunings.isEmpty { lines += ["## Chosen on validation", ""] + tuningLines().map { $0.hasPrefix("  ") ? "- " + $0.dropFirst(2) : $0 } + [""] }
        if !provenance.isEmpty { lines += ["## Provenance", ""] + provenance.map { "- " + $0 } + [""] }
        if !unfinished.isEmpty {
            lines += ["Not finished (no result.json yet):", ""] + unfinished.map { "- `\($0)`" } + [""]
        }
        let sections: [(ReportPlot.Kind, String, String)] = [
            (.validationCurve, "Validation curves", "Each task's headline validation metric, mean over the seeds of each row; dashed: the single-task baseline."),
            (.taskWeights, "Task weights over time", "Each task's weight in the decoder loss (solid) and in the encoder's combination when the strategy reports a different one (dashed), smoothed with a moving average over about a fiftieth of the steps; lowest seed of each row."),
            (.gradientNorm, "Shared-gradient norm", "The norm of the combined shared gradient, smoothed likewise; lowest seed of each row."),
            (.strategyReports, "Strategy reports over training",
             "Each family of values the strategy reports in its step records (the part of the key before the first dot: IAL's sigma, Auto-λ's lambda, TMT's metaLoss before/after its meta step, phiDistance ‖φ − I‖ and lambdaSpectrum min/mean/max of Λ, …), smoothed likewise; lowest seed of each row."),
            (.sweep, "Against the swept value",
             "Each task's headline \(comparison.split) metric against every numeric matrix axis (TMT's rank r, parallel fraction, split position, …), one line per setting of the other axes: mean over seeds, whiskers ± the table's spread."),
        ]
        lines += ["## Plots", ""]
        for (kind, title, explanation) in sections {
            let figures = plots.filter { $0.kind == kind }
            guard !figures.isEmpty else { continue }
            lines += ["### \(title)", "", explanation, ""]
            for figure in figures { lines += ["![\(figure.plot.title)](plots/\(figure.fileName))", ""] }
        }
        if !notes.isEmpty { lines += ["## Left out", ""] + notes.map { "- " + $0 } + [""] }
        return lines.joined(separator: "\n")
    }

    /// Writes `results.jsonl`, `results.csv`, `report.md` and `plots/*.svg` into `folder`; a
    /// failure names the folder or the path in the way and the reason in plain words.
    public func write(to folder: URL) throws {
        let plotsFolder = folder.appendingPathComponent("plots")
        do { try FileProblem.makeFolder(plotsFolder) }
        catch { throw CommandError("cannot write the report into \(folder.path): \(error) (the report needs a folder)") }
        do {
            try ResultFiles.jsonLines(cells, table: comparison).write(to: folder.appendingPathComponent("results.jsonl"), atomically: true, encoding: .utf8)
            try ResultFiles.csv(cells, axes: axes, table: comparison).write(to: folder.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
            for figure in plots {
                try figure.plot.svg().write(to: plotsFolder.appendingPathComponent(figure.fileName), atomically: true, encoding: .utf8)
            }
            try markdown().write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("cannot write the report into \(folder.path): \(FileProblem.reason(error))")
        }
    }
}
