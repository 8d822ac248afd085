import Foundation

/// The suite's machine-readable results: `results.jsonl` (one JSON object per cell) and
/// `results.csv` (one row per cell × split × task × metric). With a reference row, both also hold
/// the comparison (`ReferenceComparison`): in `results.jsonl` one `{"comparison": …}` line per table
/// row after the cells; in `results.csv` rows whose `statistic` column is set (below).
enum ResultFiles {
    /// One line of `results.jsonl`.
    struct Line: Encodable {
        var identifier: String
        var coordinates: [String: String]
        var baselineTask: String?
        var metrics: [String: [String: [String: Double]]]
        var secondsPerStep: Double
        var provenance: Provenance?

        enum CodingKeys: String, CodingKey { case identifier, coordinates, baselineTask, metrics, secondsPerStep, provenance }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(identifier, forKey: .identifier)
            try container.encode(coordinates, forKey: .coordinates)
            try container.encode(baselineTask, forKey: .baselineTask)   // null for matrix cells
            try container.encode(metrics, forKey: .metrics)
            try container.encode(secondsPerStep, forKey: .secondsPerStep)
            try container.encode(provenance, forKey: .provenance)     // null for results without one
        }
    }

    /// A `results.jsonl` line of the comparison with the reference row: one table row.
    struct ComparisonLine: Encodable {
        struct Difference: Encodable {
            var task: String
            var metric: String
            var pairs: Int
            var seeds: [String]
            var differences: [Double]
            var mean: Double
            var standardDeviation: Double?
            var tInterval: [Double]?
            var bootstrapInterval: [Double]?
            var inPooledStandardDeviations: Double?
            var tExcludesZero: Bool
            var bootstrapExcludesZero: Bool

            enum CodingKeys: String, CodingKey {
                case task, metric, pairs, seeds, differences, mean, standardDeviation, tInterval, bootstrapInterval, inPooledStandardDeviations
                case tExcludesZero, bootstrapExcludesZero
            }

            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(task, forKey: .task)
                try container.encode(metric, forKey: .metric)
                try container.encode(pairs, forKey: .pairs)
                try container.encode(seeds, forKey: .seeds)
                try container.encode(differences, forKey: .differences)
                try container.encode(mean, forKey: .mean)
                try container.encode(standardDeviation, forKey: .standardDeviation)          // null with one pair
                try container.encode(tInterval, forKey: .tInterval)                          // [low, high] or null
                try container.encode(bootstrapInterval, forKey: .bootstrapInterval)
                try container.encode(inPooledStandardDeviations, forKey: .inPooledStandardDeviations)
                try container.encode(tExcludesZero, forKey: .tExcludesZero)
                try container.encode(bootstrapExcludesZero, forKey: .bootstrapExcludesZero)
            }
        }

        var row: String
        var coordinates: [String: String]
        var method: String
        var setting: String
        var reference: String?
        var isReference: Bool
        var split: String
        var differences: [Difference]
        var rankedBy: [String: String]?
        var rank: Double?
        var meanRank: Double?
        var rankedSettings: Int

        enum CodingKeys: String, CodingKey {
            case row, coordinates, method, setting, reference, isReference, split, differences, rankedBy, rank, meanRank, rankedSettings
        }

        func encode(to encoder: Encoder) throws {
            var outer = encoder.container(keyedBy: AnyKey.self)
            var container = outer.nestedContainer(keyedBy: CodingKeys.self, forKey: AnyKey("comparison"))
            try container.encode(row, forKey: .row)
            try container.encode(coordinates, forKey: .coordinates)
            try container.encode(method, forKey: .method)
            try container.encode(setting, forKey: .setting)
            try container.encode(reference, forKey: .reference)       // null when the row's setting has no reference row
            try container.encode(isReference, forKey: .isReference)
            try container.encode(split, forKey: .split)
            try container.encode(differences, forKey: .differences)
            try container.encode(rankedBy, forKey: .rankedBy)         // {task, metric} or null
            try container.encode(rank, forKey: .rank)
            try container.encode(meanRank, forKey: .meanRank)
            try container.encode(rankedSettings, forKey: .rankedSettings)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `results.jsonl` for `cells`, in their order, then the comparison lines of `table`'s rows
    /// when it has a reference.
    static func jsonLines(_ cells: [ReportCell], table: ComparisonTable? = nil) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let cellLines = try cells.map { cell in
            let line = Line(identifier: cell.identifier, coordinates: cell.coordinates, baselineTask: cell.baselineTask,
                            metrics: cell.result.metrics, secondsPerStep: cell.result.secondsPerStep,
                            provenance: cell.result.provenance)
            return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }
        guard let table, let comparison = table.comparison else { return cellLines.joined() }
        let rankedBy = comparison.rankedBy.map { column -> [String: String] in
            let names = table.taskAndMetric(of: column)
            return ["task": names.task, "metric": names.metric]
        }
        let comparisonLines = try comparison.entries.map { entry in
            let differences = comparison.columns.compactMap { column -> ComparisonLine.Difference? in
                guard let difference = entry.differences[column] else { return nil }
                let names = table.taskAndMetric(of: column)
                return ComparisonLine.Difference(task: names.task, metric: names.metric, pairs: difference.count, seeds: difference.seeds,
                                                 differences: difference.differences, mean: difference.mean,
                                                 standardDeviation: difference.standardDeviation,
                                                 tInterval: difference.tInterval.map { [$0.lowerBound, $0.upperBound] },
                                                 bootstrapInterval: difference.bootstrapInterval.map { [$0.lowerBound, $0.upperBound] },
                                                 inPooledStandardDeviations: difference.inPooledStandardDeviations,
                                                 tExcludesZero: difference.tExcludesZero, bootstrapExcludesZero: difference.bootstrapExcludesZero)
            }
            let line = ComparisonLine(row: entry.row, coordinates: entry.coordinates, method: entry.method, setting: entry.setting,
                                      reference: entry.referenceRow, isReference: entry.isReference, split: table.split,
                                      differences: differences, rankedBy: entry.rank == nil ? nil : rankedBy, rank: entry.rank,
                                      meanRank: entry.meanRank, rankedSettings: entry.rankedSettings)
            return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }
        return (cellLines + comparisonLines).joined()
    }

    /// `results.csv` for `cells`: `identifier`, one column per coordinate (in `axes` order, empty
    /// where a cell lacks it), then `split,task,metric,statistic,value`; a cell's measured values
    /// have an empty `statistic`.
    ///
    /// With a reference row (`table.comparison`), rows follow for each table row: `identifier` is
    /// the row's label, its coordinates filled in and `seed` empty, `split` the table's; per compared
    /// column (`task,metric` as `ComparisonTable.taskAndMetric(of:)` names them) the statistics
    /// `pairs`, `difference_mean`, `difference_sd`, `t_low`, `t_high`, `bootstrap_low`,
    /// `bootstrap_high`, `pooled_sd_units`, `t_excludes_zero` and `bootstrap_excludes_zero` (1 or 0);
    /// and, under the ranked column, `rank` (within the setting), `mean_rank` and `ranked_settings`.
    /// A statistic without a value (an interval of one pair) has no row.
    static func csv(_ cells: [ReportCell], axes: [String], table: ComparisonTable? = nil) -> String {
        var lines = [(["identifier"] + axes + ["split", "task", "metric", "statistic", "value"]).map(field).joined(separator: ",")]
        for cell in cells {
            let prefix = [cell.identifier] + axes.map { cell.coordinates[$0] ?? "" }
            for (split, tasks) in cell.result.metrics.sorted(by: { $0.key < $1.key }) {
                for (task, metrics) in tasks.sorted(by: { $0.key < $1.key }) {
                    for (metric, value) in metrics.sorted(by: { $0.key < $1.key }) {
                        lines.append((prefix + [split, task, metric, "", "\(value)"]).map(field).joined(separator: ","))
                    }
                }
            }
        }
        guard let table, let comparison = table.comparison else { return lines.joined(separator: "\n") + "\n" }
        for entry in comparison.entries {
            let prefix = [entry.row] + axes.map { entry.coordinates[$0] ?? "" } + [table.split]
            func add(_ column: ComparisonTable.Column, _ statistic: String, _ value: Double?) {
                guard let value else { return }
                let names = table.taskAndMetric(of: column)
                lines.append((prefix + [names.task, names.metric, statistic, "\(value)"]).map(field).joined(separator: ","))
            }
            func add(_ column: ComparisonTable.Column, _ statistic: String, count: Int?) {
                guard let count else { return }
                let names = table.taskAndMetric(of: column)
                lines.append((prefix + [names.task, names.metric, statistic, "\(count)"]).map(field).joined(separator: ","))
            }
            for column in comparison.columns {
                guard let difference = entry.differences[column] else { continue }
                let hasInterval = difference.tInterval != nil
                add(column, "pairs", count: difference.count)
                add(column, "difference_mean", difference.mean)
                add(column, "difference_sd", difference.standardDeviation)
                add(column, "t_low", difference.tInterval?.lowerBound)
                add(column, "t_high", difference.tInterval?.upperBound)
                add(column, "bootstrap_low", difference.bootstrapInterval?.lowerBound)
                add(column, "bootstrap_high", difference.bootstrapInterval?.upperBound)
                add(column, "pooled_sd_units", difference.inPooledStandardDeviations)
                add(column, "t_excludes_zero", count: hasInterval ? (difference.tExcludesZero ? 1 : 0) : nil)
                add(column, "bootstrap_excludes_zero", count: hasInterval ? (difference.bootstrapExcludesZero ? 1 : 0) : nil)
            }
            if let column = comparison.rankedBy, let rank = entry.rank {
                add(column, "rank", rank)
                add(column, "mean_rank", entry.meanRank)
                add(column, "ranked_settings", count: entry.rankedSettings)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
    static func field(_ text: String) -> String {
        text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
