import Foundation
import TandemCore

/// The suite's one comparison table: a row per group of cells differing only in seed, with each
/// task's headline metric (mean ± std over seeds), Δ_MTL against the single-task baselines and the
/// time per step relative to equal weighting; the best value of each column is marked with `*`.
/// Single-task baseline groups are listed separately, one line per task.
public struct ComparisonTable: Equatable {
    /// A task and the metric its column shows.
    public struct TaskColumn: Equatable, Sendable {
        public var task: String
        public var metric: String
        public var direction: MetricDirection?

        /// `segmentation mIoU ↑`.
        public var title: String {
            let arrow = direction.map { $0 == .higherIsBetter ? " ↑" : " ↓" } ?? ""
            return "\(task) \(metric)\(arrow)"
        }
    }

    /// A column that can hold the best value.
    public enum Column: Hashable, Sendable {
        case task(String)
        case multiTaskDelta
        case timePerStep
    }

    public struct Row: Equatable {
        public var label: String
        public var seeds: [String]
        /// Task → its headline metric over the row's seeds.
        public var headlines: [String: SampleSummary]
        /// Δ_MTL in percent over the row's seeds; `nil` without baselines.
        public var multiTaskDelta: SampleSummary?
        public var secondsPerStep: SampleSummary?
        /// Mean seconds per step over the reference row's (1.00 for the reference itself).
        public var relativeTimePerStep: Double?
        /// The columns in which this row holds the best value.
        public var best: Set<Column>
    }

    /// The split the values come from: `test` when every cell has it, else `validation`.
    public var split: String
    public var taskColumns: [TaskColumn]
    public var rows: [Row]
    /// One row per single-task baseline task (its `headlines` hold that task only).
    public var baselineRows: [Row]
    /// Sentences printed under the table: what the columns mean and anything left out.
    public var notes: [String]

    /// The table of `groups` (from `CellGroup.groups(of:)`).
    public init(groups: [CellGroup]) {
        let matrixGroups = groups.filter { $0.baselineTask == nil }
        let baselineGroups = groups.filter { $0.baselineTask != nil }
        let allCells = groups.flatMap(\.cells)
        let split = allCells.allSatisfy { $0.result.metrics["test"] != nil } || !allCells.contains { $0.result.metrics["validation"] != nil }
            ? "test" : "validation"

        // Columns: the tasks of the matrix cells (of the baselines when there are none), alphabetically.
        var metricNames: [String: Set<String>] = [:]
        for cell in allCells {
            for (task, metrics) in cell.metrics(split: split) { metricNames[task, default: []].formUnion(metrics.keys) }
        }
        let columnCells = matrixGroups.isEmpty ? baselineGroups.flatMap(\.cells) : matrixGroups.flatMap(\.cells)
        let columnTasks = Set(columnCells.flatMap { $0.metrics(split: split).keys }).sorted()
        let headline: [String: String] = metricNames.compactMapValues { ReportMetrics.headline(among: $0) }
        let taskColumns = columnTasks.compactMap { task in
            headline[task].map { TaskColumn(task: task, metric: $0, direction: ReportMetrics.direction(of: $0)) }
        }
        var notes: [String] = [
            "Each task shows its headline \(split) metric, mean ± std over the row's seeds (sample std; none for one seed); * marks the best of each column.",
        ]

        // Single-task references for Δ_MTL: each metric with a direction (except loss) averaged over the baseline seeds.
        var baselineMeans: [String: [String: Double]] = [:]
        for group in baselineGroups {
            guard let task = group.baselineTask else { continue }
            var values: [String: [Double]] = [:]
            for cell in group.cells {
                for (metric, value) in cell.metrics(split: split)[task] ?? [:] where metric != "loss" && ReportMetrics.direction(of: metric) != nil {
                    values[metric, default: []].append(value)
                }
            }
            let means = values.mapValues { $0.reduce(0, +) / Double($0.count) }
            if !means.isEmpty { baselineMeans[task] = means }
        }
        if baselineMeans.isEmpty {
            notes.append("Δ_MTL: — because the suite has no finished single-task baseline cells.")
        } else {
            notes.append("Δ_MTL (%): mean relative improvement over the single-task baselines (each \(split) metric except loss, baseline averaged over its seeds), mean ± std over the row's seeds.")
            let uncovered = taskColumns.map(\.task).filter { baselineMeans[$0] == nil }
            if !uncovered.isEmpty {
                notes.append("Δ_MTL leaves out \(uncovered.joined(separator: ", ")): no finished baseline cells.")
            }
        }

        func summary(_ group: CellGroup, task: String, metric: String) -> SampleSummary? {
            SampleSummary(group.cells.compactMap { $0.metrics(split: split)[task]?[metric] })
        }
        var deltaProblems: [String] = []
        func delta(of cell: ReportCell) -> Double? {
            let measured = cell.metrics(split: split)
            var model: [String: Double] = [:], baseline: [String: Double] = [:], directions: [String: MetricDirection] = [:]
            for (task, means) in baselineMeans {
                guard let values = measured[task] else { continue }
                for (metric, mean) in means {
                    let key = "\(task).\(metric)"
                    baseline[key] = mean
                    model[key] = values[metric]
                    directions[key] = ReportMetrics.direction(of: metric)
                }
            }
            guard !baseline.isEmpty else { return nil }
            do { return try MultiTaskDelta.compute(model: model, baseline: baseline, directions: directions) * 100 }
            catch { deltaProblems.append("\(cell.identifier): \(error)"); return nil }
        }

        var rows = matrixGroups.map { group in
            var headlines: [String: SampleSummary] = [:]
            for column in taskColumns { headlines[column.task] = summary(group, task: column.task, metric: column.metric) }
            return Row(label: group.label, seeds: group.seeds, headlines: headlines,
                       multiTaskDelta: SampleSummary(group.cells.compactMap(delta)),
                       secondsPerStep: SampleSummary(group.cells.map(\.result.secondsPerStep)), relativeTimePerStep: nil, best: [])
        }
        var baselineRows = baselineGroups.map { group in
            let task = group.baselineTask ?? ""
            var headlines: [String: SampleSummary] = [:]
            if let metric = headline[task] { headlines[task] = summary(group, task: task, metric: metric) }
            return Row(label: group.label, seeds: group.seeds, headlines: headlines, multiTaskDelta: nil,
                       secondsPerStep: SampleSummary(group.cells.map(\.result.secondsPerStep)), relativeTimePerStep: nil, best: [])
        }
        if !deltaProblems.isEmpty { notes.append("Δ_MTL could not be computed for \(deltaProblems.joined(separator: "; ")).") }

        // Time per step: relative to the equal-weighting row with the same other coordinates, else the
        // first equal-weighting row, else the fastest row.
        let equalWeighting = matrixGroups.indices.filter { matrixGroups[$0].value(of: "strategy") == "ew" }
        let fastest = rows.indices.filter { rows[$0].secondsPerStep != nil }.min { rows[$0].secondsPerStep!.mean < rows[$1].secondsPerStep!.mean }
        func reference(for group: CellGroup?) -> Int? {
            guard let first = equalWeighting.first else { return fastest }
            guard let group else { return first }
            let others = group.coordinates.filter { $0.axis != "strategy" }
            return equalWeighting.first { matrixGroups[$0].coordinates.filter { $0.axis != "strategy" } == others } ?? first
        }
        func relative(_ row: Row, to index: Int?) -> Double? {
            guard let index, let own = row.secondsPerStep?.mean, let base = rows[index].secondsPerStep?.mean, base > 0 else { return nil }
            return own / base
        }
        for index in rows.indices { rows[index].relativeTimePerStep = relative(rows[index], to: reference(for: matrixGroups[index])) }
        for index in baselineRows.indices { baselineRows[index].relativeTimePerStep = relative(baselineRows[index], to: reference(for: nil)) }
        if let first = equalWeighting.first {
            let matched = equalWeighting.count > 1 ? " with the same other coordinates" : ""
            notes.append("time/step: mean seconds per step relative to the strategy=ew row\(matched) (\(ComparisonTable.seconds(rows[first].secondsPerStep)) for \(rows[first].label)).")
        } else if let fastest {
            notes.append("time/step: mean seconds per step relative to the fastest row, \(rows[fastest].label) (\(ComparisonTable.seconds(rows[fastest].secondsPerStep))); no row has strategy=ew.")
        }

        // Best marks, by each column's direction, when at least two rows compete.
        func mark(_ column: Column, value: (Row) -> Double?, higherIsBetter: Bool) {
            let candidates = rows.indices.compactMap { index in value(rows[index]).map { (index, $0) } }.filter { $0.1.isFinite }
            guard candidates.count > 1 else { return }
            let best = higherIsBetter ? candidates.map(\.1).max()! : candidates.map(\.1).min()!
            for (index, value) in candidates where value == best { rows[index].best.insert(column) }
        }
        for column in taskColumns {
            guard let direction = column.direction else { continue }
            mark(.task(column.task), value: { $0.headlines[column.task]?.mean }, higherIsBetter: direction == .higherIsBetter)
        }
        mark(.multiTaskDelta, value: { $0.multiTaskDelta?.mean }, higherIsBetter: true)
        mark(.timePerStep, value: { $0.relativeTimePerStep }, higherIsBetter: false)
        self.split = split
        self.taskColumns = taskColumns
        self.rows = rows
        self.baselineRows = baselineRows
        self.notes = notes
    }

    static func seconds(_ summary: SampleSummary?) -> String {
        guard let mean = summary?.mean else { return "—" }
        return mean >= 0.1 ? String(format: "%.3f s", mean) : String(format: "%.2f ms", mean * 1000)
    }

    /// Digits after the point for a column whose largest magnitude is `magnitude` (about four significant digits).
    static func decimals(forMagnitude magnitude: Double) -> Int {
        switch magnitude {
        case ..<1: return 4
        case ..<10: return 3
        case ..<100: return 2
        default: return 1
        }
    }

    // MARK: Rendering

    /// The cells of the main table, header first; `markBest` wraps a best value's text.
    func mainGrid(markBest: (String) -> String) -> [[String]] {
        let decimals = Dictionary(uniqueKeysWithValues: taskColumns.map { column in
            (column.task, ComparisonTable.decimals(forMagnitude: (rows + baselineRows).compactMap { $0.headlines[column.task]?.mean.magnitude }.max() ?? 0))
        })
        var grid = [["row", "seeds"] + taskColumns.map(\.title) + ["Δ_MTL %", "time/step"]]
        for row in rows {
            func text(_ value: String?, _ column: Column) -> String {
                guard let value else { return "—" }
                return row.best.contains(column) ? markBest(value) : value
            }
            grid.append([row.label, "\(row.seeds.count)"]
                + taskColumns.map { text(row.headlines[$0.task]?.formatted(decimals: decimals[$0.task]!), .task($0.task)) }
                + [text(row.multiTaskDelta?.formatted(decimals: 2, signed: true), .multiTaskDelta),
                   text(row.relativeTimePerStep.map { String(format: "%.2f", $0) }, .timePerStep)])
        }
        return grid
    }

    /// The baseline table, header first: one line per task.
    func baselineGrid() -> [[String]] {
        var grid = [["baseline", "seeds", "metric", split, "time/step"]]
        for row in baselineRows {
            let task = row.headlines.keys.first
            let column = task.flatMap { task in taskColumns.first { $0.task == task } }
                ?? task.map { TaskColumn(task: $0, metric: "", direction: nil) }
            let value = task.flatMap { row.headlines[$0] }
            grid.append([row.label, "\(row.seeds.count)", column?.title ?? "—",
                         value.map { $0.formatted(decimals: ComparisonTable.decimals(forMagnitude: $0.mean.magnitude)) } ?? "—",
                         row.relativeTimePerStep.map { String(format: "%.2f", $0) } ?? "—"])
        }
        return grid
    }

    /// Plain text for the terminal: aligned columns (labels left, numbers right), the baselines
    /// below, then the notes.
    public func text() -> String {
        var lines = ComparisonTable.aligned(mainGrid { $0 + "*" }, markSpace: true)
        if !baselineRows.isEmpty {
            lines.append("")
            lines.append("single-task baselines")
            lines += ComparisonTable.aligned(baselineGrid(), markSpace: false)
        }
        lines.append("")
        lines += notes
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as Markdown tables (best values marked with an escaped `*`), then the notes.
    public func markdown() -> String {
        var lines = ComparisonTable.markdownTable(mainGrid { $0 + "\\*" })
        if !baselineRows.isEmpty {
            lines += ["", "Single-task baselines:", ""]
            lines += ComparisonTable.markdownTable(baselineGrid())
        }
        lines.append("")
        lines += notes.map { "- " + $0.replacingOccurrences(of: "*", with: "\\*") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pads every column to its widest entry; `markSpace` leaves room for a trailing `*` so marked and
    /// unmarked numbers line up.
    static func aligned(_ grid: [[String]], markSpace: Bool) -> [String] {
        guard let header = grid.first else { return [] }
        let cells = grid.map { row in
            row.enumerated().map { column, text in
                column >= 2 && markSpace && !text.hasSuffix("*") ? text + " " : text
            }
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column == 0 ? text + padding : padding + text
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return [line(cells[0]), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))] + cells.dropFirst().map(line)
    }

    static func markdownTable(_ grid: [[String]]) -> [String] {
        guard let header = grid.first else { return [] }
        func line(_ row: [String]) -> String { "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        let rule = "|" + header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined()
        return [line(header), rule] + grid.dropFirst().map(line)
    }
}
