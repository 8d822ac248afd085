import Foundation
import TandemCore

/// The suite's one comparison table: a row per group of cells differing only in seed, with each
/// task's headline metric (mean ± spread over seeds), Δ_MTL against the single-task baselines under
/// both conventions the field uses, and the measured time per step; the best value of each metric
/// and Δ column is marked with `*`. A trivial-predictor row shows what a constant prediction scores.
/// Single-task baseline groups are listed separately, one line per task. With a reference row, every
/// other row's paired differences against it and a mean-rank column (`ReferenceComparison`).
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

    /// A column that can hold the best value (time per step never does: it is noise under load).
    public enum Column: Hashable, Sendable {
        case task(String)
        case deltaOverMetrics
        case deltaOverTasks
        /// `TaskSummary`'s mean over the tasks and mean of the worst ones.
        case summaryMean
        case summaryWorst
    }

    public struct Row: Equatable {
        public var label: String
        public var seeds: [String]
        /// Task → its headline metric over the row's seeds.
        public var headlines: [String: SampleSummary]
        /// Δ_MTL in percent, mean over all metrics (Nash-MTL, FAMO); `nil` without baselines.
        public var deltaOverMetrics: SampleSummary?
        /// Δ_MTL in percent, mean over tasks of each task's mean over its metrics (LibMTL).
        public var deltaOverTasks: SampleSummary?
        /// Measured seconds per training step over the row's seeds.
        public var secondsPerStep: SampleSummary?
        /// For a method tuned on validation (`ReportOptions.tuned`): the chosen setting.
        public var chosenSetting: String?
        /// The columns in which this row holds the best value.
        public var best: Set<Column>
        /// With `ReportOptions.taskSummary`: the metric's mean over the table's tasks, and the mean
        /// of the worst tasks, each over the row's seeds.
        public var summaryMean: SampleSummary? = nil
        public var summaryWorst: SampleSummary? = nil
        /// Column → seed → the value of the row's cell of that seed (`—` for a cell without a
        /// seed), for the paired differences against a reference row.
        public var seedValues: [Column: [String: Double]] = [:]
    }

    /// The split the values come from: `test` when every cell has it, else `validation`.
    public var split: String
    public var spread: ReportOptions.Spread
    public var taskColumns: [TaskColumn]
    public var rows: [Row]
    /// One row per single-task baseline task (its `headlines` hold that task only).
    public var baselineRows: [Row]
    /// The trivial predictor's row (`TrivialReference`), when the cells recorded it.
    public var trivialRow: Row?
    /// Sentences printed under the table: what the columns mean and anything left out.
    public var notes: [String]
    /// The derived mean / worst-K columns, when the report asks for them.
    public var taskSummary: TaskSummary?
    /// Every row against the reference row, when the report names one.
    public var comparison: ReferenceComparison?

    /// Metrics that rescale another one (`absError100` = 100 × `absError`): a relative improvement
    /// is scale-free, so counting them would weigh their metric twice in Δ_MTL.
    public static let rescaledDuplicates: Set<String> = ["absError100"]

    /// The table of `groups` (from `CellGroup.groups(of:)`), in their order; with `reference`, every
    /// row compared with it (`options.reference` resolved by `SuiteReport`).
    public init(groups: [CellGroup], options: ReportOptions = ReportOptions(), reference referenceRow: ReferenceRow? = nil) {
        let matrixGroups = groups.filter { $0.baselineTask == nil }
        let baselineGroups = groups.filter { $0.baselineTask != nil }
        let allCells = groups.flatMap(\.cells)
        let split = allCells.allSatisfy { $0.result.metrics["test"] != nil } || !allCells.contains { $0.result.metrics["validation"] != nil }
            ? "test" : "validation"
        let spread = options.spread

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
            "Each task shows its headline \(split) metric, mean ± \(spread.label) over the row's seeds (none for one seed); * marks the best of each column.",
        ]

        // Single-task references for Δ_MTL: each metric with a direction (except loss and rescaled
        // duplicates) averaged over the baseline seeds.
        var baselineMeans: [String: [String: Double]] = [:]
        for group in baselineGroups {
            guard let task = group.baselineTask else { continue }
            var values: [String: [Double]] = [:]
            for cell in group.cells {
                for (metric, value) in cell.metrics(split: split)[task] ?? [:] where ComparisonTable.countsInDelta(metric) {
                    values[metric, default: []].append(value)
                }
            }
            let means = values.mapValues { $0.reduce(0, +) / Double($0.count) }
            if !means.isEmpty { baselineMeans[task] = means }
        }
        if let published = options.baselineValues {
            baselineMeans = published
            let metricCount = published.values.reduce(0) { $0 + $1.count }
            notes.append("Δ_MTL metrics (%): the mean over the \(metricCount) \(split) metrics of report.baseline_values of the relative improvement over those "
                         + "single-task values (not over this suite's baseline cells), (M − S)/S with the sign flipped where lower is better; positive is better — Nash-MTL and FAMO print its negative as Δm (lower is better). "
                         + "Δ_MTL tasks (%): the mean over tasks of each task's mean over its metrics — LibMTL's convention.")
        } else if baselineMeans.isEmpty {
            notes.append("Δ_MTL: — because the suite has no finished single-task baseline cells.")
        } else {
            let metricCount = baselineMeans.values.reduce(0) { $0 + $1.count }
            notes.append("Δ_MTL metrics (%): the mean over all \(metricCount) \(split) metrics of the relative improvement over the single-task baseline, "
                         + "(M − S)/S with the sign flipped where lower is better — the convention of Nash-MTL and FAMO. "
                         + "Δ_MTL tasks (%): the mean over tasks of each task's mean over its metrics — LibMTL's convention. "
                         + "Both from unrounded values, baselines averaged over their seeds, loss and absError100 (a rescaled absError) left out.")
            let uncovered = taskColumns.map(\.task).filter { baselineMeans[$0] == nil }
            if !uncovered.isEmpty {
                notes.append("Δ_MTL leaves out \(uncovered.joined(separator: ", ")): no finished baseline cells.")
            }
        }

        var deltaProblems: [String] = []
        /// Both Δ_MTL conventions of one set of measured metrics (task → metric → value).
        func deltas(of measured: [String: [String: Double]], name: String) -> (metrics: Double, tasks: Double)? {
            var terms: [String: [Double]] = [:]
            for (task, means) in baselineMeans.sorted(by: { $0.key < $1.key }) {
                guard let values = measured[task] else { continue }
                for (metric, single) in means.sorted(by: { $0.key < $1.key }) {
                    guard let value = values[metric], let direction = ReportMetrics.direction(of: metric) else {
                        deltaProblems.append("\(name): no \(task) \(metric)")
                        return nil
                    }
                    guard single != 0, single.isFinite, value.isFinite else {
                        deltaProblems.append("\(name): \(task) \(metric) is \(value) against a baseline of \(single)")
                        return nil
                    }
                    let relative = (value - single) / single
                    terms[task, default: []].append(direction == .lowerIsBetter ? -relative : relative)
                }
            }
            guard !terms.isEmpty else { return nil }
            // Summed in task and metric name order, so the same cells always give the same bits.
            let ordered = terms.sorted { $0.key < $1.key }.map(\.value)
            let all = ordered.flatMap { $0 }
            let perTask = ordered.map { $0.reduce(0, +) / Double($0.count) }
            return (all.reduce(0, +) / Double(all.count) * 100, perTask.reduce(0, +) / Double(perTask.count) * 100)
        }

        func summary(_ group: CellGroup, task: String, metric: String) -> SampleSummary? {
            SampleSummary(group.cells.compactMap { $0.metrics(split: split)[task]?[metric] })
        }
        var rows = matrixGroups.map { group in
            var headlines: [String: SampleSummary] = [:]
            var seedValues: [Column: [String: Double]] = [:]
            for column in taskColumns {
                headlines[column.task] = summary(group, task: column.task, metric: column.metric)
                for cell in group.cells {
                    if let value = cell.metrics(split: split)[column.task]?[column.metric] { seedValues[.task(column.task), default: [:]][cell.seed ?? "—"] = value }
                }
            }
            var cellDeltas: [(metrics: Double, tasks: Double)] = []
            for cell in group.cells {
                guard let delta = deltas(of: cell.metrics(split: split), name: cell.identifier) else { continue }
                cellDeltas.append(delta)
                seedValues[.deltaOverMetrics, default: [:]][cell.seed ?? "—"] = delta.metrics
                seedValues[.deltaOverTasks, default: [:]][cell.seed ?? "—"] = delta.tasks
            }
            var row = Row(label: group.label, seeds: group.seeds, headlines: headlines,
                          deltaOverMetrics: SampleSummary(cellDeltas.map(\.metrics)), deltaOverTasks: SampleSummary(cellDeltas.map(\.tasks)),
                          secondsPerStep: SampleSummary(group.cells.map(\.result.secondsPerStep)), chosenSetting: group.chosenSetting, best: [])
            row.seedValues = seedValues
            return row
        }
        let baselineRows = baselineGroups.map { group in
            let task = group.baselineTask ?? ""
            var headlines: [String: SampleSummary] = [:]
            if let metric = headline[task] { headlines[task] = summary(group, task: task, metric: metric) }
            return Row(label: group.label, seeds: group.seeds, headlines: headlines, deltaOverMetrics: nil, deltaOverTasks: nil,
                       secondsPerStep: SampleSummary(group.cells.map(\.result.secondsPerStep)), chosenSetting: group.chosenSetting, best: [])
        }

        // The trivial predictor: each task's from the first cell (in table order) that recorded it
        // (a baseline cell records only its own task); cells that disagree on a task are noted.
        var trivialRow: Row? = nil
        var reference: [String: [String: Double]] = [:], sources: [String: String] = [:], conflicts: [String: [String]] = [:]
        for cell in allCells {
            for (task, values) in cell.result.trivialReference?[split] ?? [:] {
                if let existing = reference[task] {
                    if existing != values { conflicts[task, default: []].append(cell.identifier) }
                } else {
                    reference[task] = values
                    sources[task] = cell.identifier
                }
            }
        }
        if !reference.isEmpty {
            var headlines: [String: SampleSummary] = [:]
            for column in taskColumns {
                if let value = reference[column.task]?[column.metric] { headlines[column.task] = SampleSummary([value]) }
            }
            let delta = deltas(of: reference, name: "trivial predictor")
            trivialRow = Row(label: "trivial predictor", seeds: [], headlines: headlines,
                             deltaOverMetrics: delta.flatMap { SampleSummary([$0.metrics]) }, deltaOverTasks: delta.flatMap { SampleSummary([$0.tasks]) },
                             secondsPerStep: nil, chosenSetting: nil, best: [])
            notes.append("trivial predictor: a constant prediction fitted on the \(split) split itself — the majority class (chance accuracy), the "
                         + "mean depth, the mean normal — scored with the same metric code; a row near it learned nothing.")
            if !conflicts.isEmpty {
                // One clause per task, with a count and the first disagreeing cell: a suite whose
                // data vary along an axis (a dataset option) disagrees in most of its cells.
                let clauses = conflicts.keys.sorted().map { task -> String in
                    let cells = conflicts[task]!
                    return "\(task): \(cells.count) cell\(cells.count == 1 ? "" : "s") (e.g. \(cells[0])) against \(sources[task]!)"
                }
                notes.append("The cells' \(split) splits differ (\(clauses.joined(separator: "; "))), as when the data vary along a matrix axis; the trivial row shows the first.")
            }
        }
        if !deltaProblems.isEmpty { notes.append("Δ_MTL could not be computed for \(deltaProblems.joined(separator: "; ")).") }
        if let summary = options.taskSummary {
            let summaryNotes = ComparisonTable.summarise(summary, rows: &rows, trivialRow: &trivialRow, groups: matrixGroups,
                                                         tasks: taskColumns.map(\.task), baselineMeans: baselineMeans,
                                                         reference: reference, split: split)
            notes += summaryNotes
        }
        notes.append("time/step: measured wall-clock seconds per training step, mean ± \(spread.label) over the seeds; "
                     + "not ranked, as it varies with the machine's load.")

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
        mark(.deltaOverMetrics, value: { $0.deltaOverMetrics?.mean }, higherIsBetter: true)
        mark(.deltaOverTasks, value: { $0.deltaOverTasks?.mean }, higherIsBetter: true)
        if let summary = options.taskSummary, let direction = ReportMetrics.direction(of: summary.metric) {
            mark(.summaryMean, value: { $0.summaryMean?.mean }, higherIsBetter: direction == .higherIsBetter)
            mark(.summaryWorst, value: { $0.summaryWorst?.mean }, higherIsBetter: direction == .higherIsBetter)
        }
        var comparison: ReferenceComparison? = nil
        if let referenceRow {
            let compared = taskColumns.map { Column.task($0.task) } + [.deltaOverMetrics, .deltaOverTasks]
                + (options.taskSummary == nil ? [] : [.summaryMean, .summaryWorst])
            var rankedBy: (column: Column, higherIsBetter: Bool)? = nil
            if taskColumns.count == 1, let direction = taskColumns[0].direction {
                rankedBy = (.task(taskColumns[0].task), direction == .higherIsBetter)
            } else if rows.contains(where: { $0.deltaOverMetrics != nil }) {
                rankedBy = (.deltaOverMetrics, true)
            }
            comparison = ReferenceComparison(reference: referenceRow, groups: matrixGroups, rows: rows, columns: compared, rankedBy: rankedBy)
        }
        self.comparison = comparison
        self.taskSummary = options.taskSummary
        self.split = split
        self.spread = spread
        self.taskColumns = taskColumns
        self.rows = rows
        self.baselineRows = baselineRows
        self.trivialRow = trivialRow
        self.notes = notes
    }

    /// The task and metric a column holds, as the result files name them: `segmentation`/`mIoU`,
    /// `Δ_MTL`/`metrics` or `tasks` (percent), `task_summary`/`mean accuracy` or `worst-5 accuracy`.
    public func taskAndMetric(of column: Column) -> (task: String, metric: String) {
        switch column {
        case .task(let task): return (task, taskColumns.first { $0.task == task }?.metric ?? "")
        case .deltaOverMetrics: return ("Δ_MTL", "metrics")
        case .deltaOverTasks: return ("Δ_MTL", "tasks")
        case .summaryMean: return ("task_summary", taskSummary.map { "mean \($0.metric)" } ?? "")
        case .summaryWorst: return ("task_summary", taskSummary.map { "worst-\($0.worst) \($0.metric)" } ?? "")
        }
    }

    /// Whether `metric` enters Δ_MTL: it has a direction, is not the loss, and rescales no other metric.
    public static func countsInDelta(_ metric: String) -> Bool {
        metric != "loss" && !rescaledDuplicates.contains(metric) && ReportMetrics.direction(of: metric) != nil
    }

    /// `0.123 s` or `12.34 ms`, with the spread.
    static func seconds(_ summary: SampleSummary?, spread: ReportOptions.Spread) -> String {
        guard let summary else { return "—" }
        let milliseconds = summary.mean < 0.1
        let scale = milliseconds ? 1000.0 : 1
        var text = String(format: milliseconds ? "%.2f" : "%.3f", summary.mean * scale)
        if let value = summary.spread(spread) { text += " ± " + String(format: milliseconds ? "%.2f" : "%.3f", value * scale) }
        return text + (milliseconds ? " ms" : " s")
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

    /// Fills the `TaskSummary` columns of `rows` (per cell, then over seeds) and of the trivial
    /// row; returns the notes that explain them, with the single-task baselines' values (from
    /// their seed means) when every task has one.
    static func summarise(_ summary: TaskSummary, rows: inout [Row], trivialRow: inout Row?, groups: [CellGroup], tasks: [String],
                          baselineMeans: [String: [String: Double]], reference: [String: [String: Double]], split: String) -> [String] {
        let titles = summary.titles(taskCount: tasks.count)
        var notes = ["\(titles.mean): per cell the mean \(split) \(summary.metric) over the table's \(tasks.count) tasks; "
                     + "\(titles.worst): the mean over the \(summary.worst) tasks with the worst \(summary.metric) in that cell; "
                     + "both then mean ± spread over the row's seeds (report option task_summary)."]
        var missing: [String] = []
        for (index, group) in groups.enumerated() where index < rows.count {
            var means: [Double] = [], worsts: [Double] = []
            for cell in group.cells {
                if let values = summary.values(of: cell.metrics(split: split), tasks: tasks) {
                    means.append(values.mean)
                    worsts.append(values.worst)
                    rows[index].seedValues[.summaryMean, default: [:]][cell.seed ?? "—"] = values.mean
                    rows[index].seedValues[.summaryWorst, default: [:]][cell.seed ?? "—"] = values.worst
                } else {
                    missing.append(cell.identifier)
                }
            }
            rows[index].summaryMean = SampleSummary(means)
            rows[index].summaryWorst = SampleSummary(worsts)
        }
        if !missing.isEmpty {
            notes.append("\(titles.mean) and \(titles.worst) leave out \(missing.joined(separator: ", ")): "
                         + (tasks.count < summary.worst ? "the table has fewer than \(summary.worst) tasks." : "a task without a finite \(summary.metric)."))
        }
        if trivialRow != nil, let values = summary.values(of: reference, tasks: tasks) {
            trivialRow!.summaryMean = SampleSummary([values.mean])
            trivialRow!.summaryWorst = SampleSummary([values.worst])
        }
        let single = baselineMeans.filter { tasks.contains($0.key) }.compactMapValues { $0[summary.metric].map { [summary.metric: $0] } }
        if single.count == tasks.count, let values = summary.values(of: single, tasks: tasks) {
            notes.append(String(format: "single-task baselines (each task's seed mean): \(titles.mean) %.4f, \(titles.worst) %.4f.", values.mean, values.worst))
        }
        return notes
    }

    // MARK: Rendering

    var hasChosenSettings: Bool { rows.contains { $0.chosenSetting != nil } }

    /// Each task's digits after the point (from the largest magnitude of its column).
    var taskDecimals: [String: Int] {
        Dictionary(uniqueKeysWithValues: taskColumns.map { column in
            (column.task, ComparisonTable.decimals(forMagnitude: (rows + baselineRows).compactMap { $0.headlines[column.task]?.mean.magnitude }.max() ?? 0))
        })
    }

    /// The task-summary columns' digits after the point.
    var summaryDecimals: Int {
        ComparisonTable.decimals(forMagnitude: (rows + (trivialRow.map { [$0] } ?? [])).compactMap { $0.summaryMean?.mean.magnitude }.max() ?? 0)
    }

    /// The columns the main table shows that can be compared with a reference, in its order, with
    /// their titles and digits after the point.
    var shownColumns: [(column: Column, title: String, decimals: Int)] {
        let decimals = taskDecimals
        let shownTasks = (taskSummary?.taskColumns ?? true) ? taskColumns : []
        let summaryTitles = taskSummary.map { $0.titles(taskCount: taskColumns.count) }
        var columns: [(column: Column, title: String, decimals: Int)] = shownTasks.map { (Column.task($0.task), $0.title, decimals[$0.task]!) }
        if let summaryTitles {
            columns.append((.summaryMean, summaryTitles.mean, summaryDecimals))
            columns.append((.summaryWorst, summaryTitles.worst, summaryDecimals))
        }
        columns.append((.deltaOverMetrics, "Δ_MTL metrics %", 2))
        columns.append((.deltaOverTasks, "Δ_MTL tasks %", 2))
        return columns
    }

    /// Whether the main table has a mean-rank column (a reference row, and something to rank by).
    var hasMeanRank: Bool { comparison?.rankedBy != nil && comparison?.settings.isEmpty == false }

    /// The cells of the main table, header first; `markBest` wraps a best value's text.
    func mainGrid(markBest: (String) -> String) -> [[String]] {
        let chosen = hasChosenSettings
        let columns = shownColumns
        let meanRanks = hasMeanRank ? Dictionary(comparison!.entries.map { ($0.row, $0.meanRank) }, uniquingKeysWith: { first, _ in first }) : nil
        var grid = [["row"] + (chosen ? ["chosen on validation"] : []) + ["seeds"] + columns.map(\.title)
                    + (meanRanks == nil ? [] : ["mean rank"]) + ["time/step"]]
        for row in rows + (trivialRow.map { [$0] } ?? []) {
            func text(_ value: String?, _ column: Column) -> String {
                guard let value else { return "—" }
                return row.best.contains(column) ? markBest(value) : value
            }
            func value(_ column: Column, decimals: Int) -> String {
                switch column {
                case .task(let task): return text(row.headlines[task]?.formatted(decimals: decimals, spread: spread), column)
                case .summaryMean: return text(row.summaryMean?.formatted(decimals: decimals, spread: spread), column)
                case .summaryWorst: return text(row.summaryWorst?.formatted(decimals: decimals, spread: spread), column)
                case .deltaOverMetrics: return text(row.deltaOverMetrics?.formatted(decimals: decimals, signed: true, spread: spread), column)
                case .deltaOverTasks: return text(row.deltaOverTasks?.formatted(decimals: decimals, signed: true, spread: spread), column)
                }
            }
            let isTrivial = row.label == "trivial predictor" && row.seeds.isEmpty
            let meanRank = isTrivial ? nil : meanRanks?[row.label] ?? nil
            var line: [String] = [row.label]
            if chosen { line.append(row.chosenSetting ?? "—") }
            line.append(isTrivial ? "—" : "\(row.seeds.count)")
            line += columns.map { value($0.column, decimals: $0.decimals) }
            if meanRanks != nil { line.append(meanRank.map { String(format: "%.2f", $0) } ?? "—") }
            line.append(ComparisonTable.seconds(row.secondsPerStep, spread: spread))
            grid.append(line)
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
                         value.map { $0.formatted(decimals: ComparisonTable.decimals(forMagnitude: $0.mean.magnitude), spread: spread) } ?? "—",
                         ComparisonTable.seconds(row.secondsPerStep, spread: spread)])
        }
        return grid
    }

    /// Plain text for the terminal: aligned columns (labels left, numbers right), the baselines
    /// below, then the notes.
    public func text() -> String {
        var lines = ComparisonTable.aligned(mainGrid { $0 + "*" }, markSpace: true, textColumns: hasChosenSettings ? 2 : 1)
        if let comparison, comparison.settings.count > 0 {
            lines.append("")
            lines += ComparisonTable.aligned(comparison.grid(titles: shownColumns, marker: "*"), markSpace: true, textColumns: 1)
        }
        if !baselineRows.isEmpty {
            lines.append("")
            lines.append("single-task baselines")
            lines += ComparisonTable.aligned(baselineGrid(), markSpace: false, textColumns: 1)
        }
        lines.append("")
        lines += notes + comparisonNotes
        return lines.joined(separator: "\n") + "\n"
    }

    /// The reference comparison's notes (none without a reference).
    var comparisonNotes: [String] {
        guard let comparison else { return [] }
        let titles = Dictionary(shownColumns.map { ($0.column, $0.title) }, uniquingKeysWith: { first, _ in first })
        return comparison.notes(split: split) { column in
            if let title = titles[column] { return title }
            if case .task(let task) = column, let taskColumn = taskColumns.first(where: { $0.task == task }) { return taskColumn.title }
            return "\(column)"
        }
    }

    /// The same as Markdown tables (best values marked with an escaped `*`), then the notes.
    public func markdown() -> String {
        var lines = ComparisonTable.markdownTable(mainGrid { $0 + "\\*" }, textColumns: hasChosenSettings ? 2 : 1)
        if let comparison, comparison.settings.count > 0 {
            lines += ["", "Paired differences against \(comparison.reference.label) (\\* : the 95 % t-interval excludes 0):", ""]
            lines += ComparisonTable.markdownTable(comparison.grid(titles: shownColumns, marker: "\\*"), textColumns: 1)
        }
        if !baselineRows.isEmpty {
            lines += ["", "Single-task baselines:", ""]
            lines += ComparisonTable.markdownTable(baselineGrid(), textColumns: 1)
        }
        lines.append("")
        lines += (notes + comparisonNotes).map { "- " + $0.replacingOccurrences(of: "*", with: "\\*") }
        if let comparison, comparison.settings.count > 0 {
            let detail = comparison.detailGrid(titles: shownColumns)
            if detail.count > 1 {
                lines += ["", "Paired differences in detail (row − \(comparison.reference.label), seed by seed; both 95 % intervals; "
                          + "Δ in pooled sd: the mean difference over √((s_row² + s_reference²)/2)):", ""]
                lines += ComparisonTable.markdownTable(detail, textColumns: 2)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pads every column to its widest entry (the first `textColumns` left-aligned, the rest right);
    /// `markSpace` leaves room for a trailing `*` so marked and unmarked numbers line up.
    static func aligned(_ grid: [[String]], markSpace: Bool, textColumns: Int) -> [String] {
        guard let header = grid.first else { return [] }
        let cells = grid.map { row in
            row.enumerated().map { column, text in
                column > textColumns && markSpace && !text.hasSuffix("*") ? text + " " : text
            }
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column < textColumns ? text + padding : padding + text
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return [line(cells[0]), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))] + cells.dropFirst().map(line)
    }

    static func markdownTable(_ grid: [[String]], textColumns: Int) -> [String] {
        guard let header = grid.first else { return [] }
        func line(_ row: [String]) -> String { "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        let rule = "|" + header.indices.map { $0 < textColumns ? " --- |" : " ---: |" }.joined()
        return [line(header), rule] + grid.dropFirst().map(line)
    }
}
