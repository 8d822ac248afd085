import Foundation

/// How a suite's report summarises its cells. Set in the suite file's `report:` section (written
/// into the output folder as `suite.json`, so `tandem report` uses it too) and overridable on the
/// command line.
///
/// ```yaml
/// report:
///   spread: standard-error     # or std (default): what follows the ± of every mean
///   last_evaluations: 5        # each cell's metrics = the mean of its last 5 evaluations
///   drop_worst_seeds: 1        # per row, leave out the seed with the worst validation criterion
///   tuned: [strategy.k]        # per method, keep the setting with the best validation criterion
///   task_summary: {metric: accuracy, worst: 5, task_columns: false}   # mean and worst-5 over the tasks
///   reference: ew              # paired differences against this row, and a mean-rank column
///   baseline_values:           # Δ_MTL against these single-task values (e.g. a paper's) instead of baseline cells
///     segmentation: {mIoU: 0.3830, pixelAccuracy: 0.6376}
/// ```
public struct ReportOptions: Codable, Equatable, Sendable {
    public enum Spread: String, Codable, Sendable, CaseIterable {
        /// The sample standard deviation over seeds (n − 1).
        case standardDeviation = "std"
        /// The standard error of the mean: the sample standard deviation over √n.
        case standardError = "standard-error"

        public var label: String { self == .standardDeviation ? "sample std" : "standard error of the mean (sample std / √n)" }
    }

    public var spread: Spread
    /// When set, each cell's metrics are the mean of its last N evaluations (all splits) instead of
    /// the recipe's selection (issue 14's MultiMNIST protocol: the final 5 epochs).
    public var lastEvaluations: Int?
    /// Per row, this many seeds with the highest validation error (the recipe's selection criterion,
    /// over the evaluations used) are left out — only while at least one seed remains.
    public var dropWorstSeeds: Int
    /// Matrix axes tuned on validation: rows that differ only in these (and the seed) are one method,
    /// and the report keeps the setting with the lowest mean validation error.
    public var tuned: [String]
    /// When set, two derived columns: the mean of one metric over the table's tasks and the mean
    /// of its worst K tasks (`TaskSummary`), e.g. mean and worst-5 accuracy over 20 domains.
    public var taskSummary: TaskSummary?
    /// When set, the row (`ReferenceRow`: `VALUE` or `AXIS=VALUE`) every other row is compared with,
    /// seed by seed in each setting (`ReferenceComparison`), and the rows' mean rank over the settings.
    public var reference: String?
    /// When set, the single-task values (task → metric → value) Δ_MTL is measured against, in
    /// place of the suite's baseline cells: the published single-task row a protocol fixes (the
    /// Nash-MTL / FAMO NYUv2 Δm uses CAGrad's). Only the metrics named count.
    public var baselineValues: [String: [String: Double]]?

    public init(spread: Spread = .standardDeviation, lastEvaluations: Int? = nil, dropWorstSeeds: Int = 0, tuned: [String] = [],
                taskSummary: TaskSummary? = nil, reference: String? = nil, baselineValues: [String: [String: Double]]? = nil) {
        self.spread = spread
        self.lastEvaluations = lastEvaluations
        self.dropWorstSeeds = dropWorstSeeds
        self.tuned = tuned
        self.taskSummary = taskSummary
        self.reference = reference
        self.baselineValues = baselineValues
    }

    /// Reads a suite file's `report:` section; `axes` are the suite's matrix axes (tuned ones must be
    /// among them) and `rows` every matrix axis with its values, included suites' too (a reference
    /// must be one of them).
    static func read(_ node: YAMLNode, axes: [String], rows: [(axis: String, values: [String])]) throws -> ReportOptions {
        let reader = try MappingReader(node, section: "report")
        var options = ReportOptions()
        if let spreadNode = reader.optional("spread") {
            options.spread = Spread(rawValue: try MappingReader.choice(spreadNode, what: "report.spread", from: Spread.allCases.map(\.rawValue)))!
        }
        options.lastEvaluations = try reader.optional("last_evaluations").map { try MappingReader.integer($0, what: "report.last_evaluations", range: 1...100_000) }
        options.dropWorstSeeds = try reader.optional("drop_worst_seeds").map { try MappingReader.integer($0, what: "report.drop_worst_seeds", range: 0...1000) } ?? 0
        if let tunedNode = reader.optional("tuned") {
            options.tuned = try MappingReader.list(tunedNode, what: "report.tuned").map { item in
                let axis = try MappingReader.text(item, what: "report.tuned")
                guard axes.contains(axis), axis != "seed" else {
                    throw RecipeError(location: item.location, message: axis == "seed"
                        ? "report.tuned cannot name seed: seeds are averaged, not tuned"
                        : NameSuggestion.unknown("matrix axis", axis, valid: axes.filter { $0 != "seed" }))
                }
                return axis
            }
        }
        options.taskSummary = try reader.optional("task_summary").map(TaskSummary.read)
        if let referenceNode = reader.optional("reference") {
            let text = try MappingReader.text(referenceNode, what: "report.reference")
            let untuned = rows.filter { !options.tuned.contains($0.axis) }
            do { _ = try ReferenceRow.resolve(text, among: untuned) }
            catch let error as CommandError { throw RecipeError(location: referenceNode.location, message: "report.reference: \(error.message)") }
            options.reference = text
        }
        if let valuesNode = reader.optional("baseline_values") {
            var values: [String: [String: Double]] = [:]
            func entries(_ node: YAMLNode, _ what: String) throws -> [(key: String, keyLocation: SourceLocation, value: YAMLNode)] {
                guard case let .mapping(entries, _) = node else {
                    throw RecipeError(location: node.location, message: "\(what) must be a mapping (\(what == "report.baseline_values" ? "TASK: {METRIC: VALUE, …}" : "METRIC: VALUE"), …), found \(node.kindName)")
                }
                return entries
            }
            for task in try entries(valuesNode, "report.baseline_values") {
                for metric in try entries(task.value, "report.baseline_values.\(task.key)") {
                    let what = "report.baseline_values.\(task.key).\(metric.key)"
                    guard ReportMetrics.direction(of: metric.key) != nil, ComparisonTable.countsInDelta(metric.key) else {
                        throw RecipeError(location: metric.keyLocation, message: "\(what): not a metric Δ_MTL can use (one with a direction, not loss or absError100)")
                    }
                    let value = try MappingReader.number(metric.value, what: what, range: -1e12...1e12)
                    guard value != 0 else { throw RecipeError(location: metric.value.location, message: "\(what) is 0; Δ_MTL divides by it") }
                    values[task.key, default: [:]][metric.key] = value
                }
            }
            guard !values.isEmpty else {
                throw RecipeError(location: valuesNode.location, message: "report.baseline_values names no task; give {TASK: {METRIC: VALUE, …}, …}")
            }
            options.baselineValues = values
        }
        try reader.finish()
        return options
    }

    /// `OUTPUT/suite.json`: the suite's name and report options, for `tandem report`.
    public struct Record: Codable, Equatable {
        public var suite: String
        public var report: ReportOptions
    }

    public static func recordURL(in folder: URL) -> URL { folder.appendingPathComponent("suite.json") }

    /// The options recorded in `folder`, if any; an unreadable record is an error naming the file.
    public static func recorded(in folder: URL) throws -> ReportOptions? {
        let url = recordURL(in: folder)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(Record.self, from: Data(contentsOf: url)).report }
        catch { throw CommandError("\(url.path) is not a valid suite.json: \(ReportPlots.describe(error))") }
    }
}
