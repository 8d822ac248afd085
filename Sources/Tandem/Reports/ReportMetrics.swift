import TandemCore

/// What a report knows about metric names when the task kinds of a run are not recorded:
/// every metric name belongs to exactly one task kind (`StandardMetrics`), so a metric's direction
/// and a task's headline metric follow from the names alone.
public enum ReportMetrics {
    /// The task kinds whose metric tables are merged, in the order headline metrics are looked for.
    static let kinds: [TaskKind] = [.segmentation(classes: 1), .classification(classes: 1), .depth, .normals, .regression(outputs: 1)]

    /// The union of `StandardMetrics.directions(for:)` over every task kind.
    public static let directions: [String: MetricDirection] = kinds.reduce(into: [:]) { table, kind in
        table.merge(StandardMetrics.directions(for: kind)) { first, _ in first }
    }

    /// Whether `metric` is better high or low; `nil` for a name no task kind defines.
    public static func direction(of metric: String) -> MetricDirection? { directions[metric] }

    /// The headline metric of a task that reports `metricNames`: the first kind's headline
    /// (`StandardMetrics.headline(for:)`) that is among them, else `loss` when present, else the
    /// alphabetically first direction-known name, else `nil`.
    public static func headline(among metricNames: Set<String>) -> String? {
        for kind in kinds where metricNames.contains(StandardMetrics.headline(for: kind)) {
            return StandardMetrics.headline(for: kind)
        }
        return metricNames.filter { directions[$0] != nil }.sorted().first
    }
}
