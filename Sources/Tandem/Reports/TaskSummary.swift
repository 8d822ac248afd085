import Foundation
import TandemCore

/// Two derived columns over many tasks of one kind — the mean of one metric over the table's tasks
/// and the mean over the `worst` tasks that score worst on it — as multi-domain papers report them
/// (the IAL paper's Table VII and Auto-λ on the 20 CIFAR-100 domains: mean and worst-5 accuracy).
///
/// Per cell: the metric of every task of the table (its task columns); "worst" is by the metric's
/// direction (the lowest accuracies, the highest errors). Then, as every column, mean ± spread
/// over the row's seeds. A cell missing the metric for a task has no value (and a note says so).
///
/// ```yaml
/// report:
///   task_summary: {metric: accuracy, worst: 5, task_columns: false}
/// ```
public struct TaskSummary: Codable, Equatable, Sendable {
    /// The metric summarised (one `StandardMetrics` name, e.g. `accuracy`).
    public var metric: String
    /// How many of the worst tasks the second column averages.
    public var worst: Int
    /// Whether the table still shows one column per task (off for 20 domains, say).
    public var taskColumns: Bool

    public init(metric: String, worst: Int, taskColumns: Bool = true) {
        self.metric = metric
        self.worst = worst
        self.taskColumns = taskColumns
    }

    /// Column titles: `mean accuracy ↑ (20 tasks)`, `worst-5 accuracy ↑`.
    public func titles(taskCount: Int) -> (mean: String, worst: String) {
        let arrow = ReportMetrics.direction(of: metric).map { $0 == .higherIsBetter ? " ↑" : " ↓" } ?? ""
        return ("mean \(metric)\(arrow) (\(taskCount) tasks)", "worst-\(worst) \(metric)\(arrow)")
    }

    /// The mean over `tasks` of the metric and the mean over the `worst` of them, from one set of
    /// measured metrics (task → metric → value); `nil`, with the reason, when a task lacks the
    /// metric, a value is not finite, or there are fewer tasks than `worst`.
    public func values(of measured: [String: [String: Double]], tasks: [String]) -> (mean: Double, worst: Double)? {
        guard let direction = ReportMetrics.direction(of: metric), tasks.count >= worst, !tasks.isEmpty else { return nil }
        var values: [Double] = []
        for task in tasks.sorted() {
            guard let value = measured[task]?[metric], value.isFinite else { return nil }
            values.append(value)
        }
        // Summed in task-name order and worst-first, so the same cells always give the same bits.
        let mean = values.reduce(0, +) / Double(values.count)
        let ordered = direction == .higherIsBetter ? values.sorted() : values.sorted(by: >)
        let worstValues = ordered.prefix(worst)
        return (mean, worstValues.reduce(0, +) / Double(worstValues.count))
    }

    /// Reads `report.task_summary`: `{metric: NAME, worst: K, task_columns: BOOL}`.
    static func read(_ node: YAMLNode) throws -> TaskSummary {
        let reader = try MappingReader(node, section: "report.task_summary")
        let metricNode = try reader.required("metric", expected: "the metric to summarise over the tasks (e.g. accuracy)")
        let metric = try MappingReader.text(metricNode, what: "report.task_summary.metric")
        guard ReportMetrics.direction(of: metric) != nil else {
            throw RecipeError(location: metricNode.location,
                              message: NameSuggestion.unknown("metric", metric, valid: ReportMetrics.directions.keys.sorted()))
        }
        let worst = try reader.optional("worst").map { try MappingReader.integer($0, what: "report.task_summary.worst", range: 1...10_000) } ?? 5
        let columns = try reader.optional("task_columns").map { try MappingReader.boolean($0, what: "report.task_summary.task_columns") } ?? true
        try reader.finish()
        return TaskSummary(metric: metric, worst: worst, taskColumns: columns)
    }
}
