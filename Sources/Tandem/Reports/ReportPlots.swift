import Foundation

/// One figure of the report: the SVG file it is written to (under `plots/`) and its chart.
public struct ReportPlot {
    public enum Kind: Sendable {
        /// A task's headline validation metric vs step, one line per row group.
        case validationCurve
        /// One row group's task weights vs step.
        case taskWeights
        /// The shared-gradient norm vs step, one line per row group.
        case gradientNorm
        /// One family of a strategy's step reports (`sigma.TASK`, `lambda.TASK`, `metaLoss`, …) vs
        /// step for one row group: IAL's uncertainties over training (its Fig. 13), Auto-λ's λ,
        /// TMT's meta loss, ‖φ − I‖ and Λ's spectrum, …
        case strategyReports
        /// A task's headline metric (the table's split, mean ± spread over seeds) against a numeric
        /// matrix axis, one line per setting of the other axes: TMT's rank r (its Fig. 3), parallel
        /// fraction (Fig. 4) and split position (Fig. 5).
        case sweep
    }

    public var kind: Kind
    public var fileName: String
    public var plot: SVGPlot
}

/// The report's figures: validation curves per task, task weights over time per row group, the
/// shared-gradient norm per row group, each family of a strategy's step reports per row group, and
/// each task's metric against every numeric matrix axis.
enum ReportPlots {
    /// The parts of a `StepRecord` the plots use (decoded leniently: other fields may change).
    struct StepSample: Decodable {
        var step: Int
        var decoderWeights: [String: Double]
        var encoderWeights: [String: Double]?
        var sharedGradientNorm: Double
        var reports: [String: Double]?
    }

    /// The step records of `url`, one JSON object a line; errors name the file and line.
    static func readRecords(_ url: URL) throws -> [StepSample] {
        let data: Data
        do { data = try Data(contentsOf: url) }
        catch { throw CommandError("cannot read \(url.path): \(error.localizedDescription)") }
        let decoder = JSONDecoder()
        var samples: [StepSample] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { samples.append(try decoder.decode(StepSample.self, from: line)) }
            catch { throw CommandError("\(url.path) line \(index + 1) is not a step record: \(ReportPlots.describe(error))") }
        }
        return samples
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "\(error)"
        }
    }

    /// A file-name part made of lowercase letters, digits and dashes.
    static func slug(_ text: String) -> String {
        let mapped = text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
        return String(mapped).split(separator: "-").joined(separator: "-")
    }

    /// The figures for `groups` and the table's task columns (whose values come from `split`, with
    /// `spread` over seeds), with notes on anything left out.
    static func make(groups: [CellGroup], columns: [ComparisonTable.TaskColumn], split: String = "test",
                     spread: ReportOptions.Spread = .standardDeviation) throws -> (plots: [ReportPlot], notes: [String]) {
        let matrixGroups = groups.filter { $0.baselineTask == nil }
        let baselineGroups = groups.filter { $0.baselineTask != nil }
        var plots: [ReportPlot] = [], notes: [String] = [], usedNames: Set<String> = []
        func add(_ kind: ReportPlot.Kind, _ name: String, _ plot: SVGPlot) {
            var fileName = name + ".svg", counter = 2
            while usedNames.contains(fileName) { fileName = "\(name)-\(counter).svg"; counter += 1 }
            usedNames.insert(fileName)
            plots.append(ReportPlot(kind: kind, fileName: fileName, plot: plot))
        }

        // (a) Validation curves: the headline metric vs step, mean over each group's seeds.
        let historySplit = groups.flatMap(\.cells).allSatisfy { cell in cell.result.history.allSatisfy { $0.metrics["validation"] != nil } }
            ? "validation" : "test"
        func curve(_ group: CellGroup, task: String, metric: String) -> [(x: Double, y: Double)] {
            var values: [Int: [Double]] = [:]
            for cell in group.cells {
                for point in cell.result.history {
                    if let value = point.metrics[historySplit]?[task]?[metric] { values[point.step, default: []].append(value) }
                }
            }
            let points = values.keys.sorted().map { (x: Double($0), y: values[$0]!.reduce(0, +) / Double(values[$0]!.count)) }
            return SeriesSmoothing.subsample(points, limit: 400)
        }
        for column in columns {
            var series = matrixGroups.enumerated().map { index, group in
                SVGPlot.Series(name: group.label, points: curve(group, task: column.task, metric: column.metric), colorIndex: index)
            }
            for group in baselineGroups where group.baselineTask == column.task {
                series.append(SVGPlot.Series(name: "single-task baseline", points: curve(group, task: column.task, metric: column.metric),
                                             dashed: true, colorIndex: matrixGroups.count))
            }
            add(.validationCurve, "validation-\(slug(column.task))",
                SVGPlot(title: "\(column.task): \(historySplit) \(column.metric) (mean over seeds)", xLabel: "step",
                        yLabel: column.title, series: series))
        }

        // (b) Task weights and (c) shared-gradient norm, from the lowest seed of each group.
        var norms: [SVGPlot.Series] = []
        for (index, group) in matrixGroups.enumerated() {
            guard let cell = group.cells.first else { continue }
            guard FileManager.default.fileExists(atPath: cell.recordsURL.path) else {
                notes.append("\(cell.identifier) has no records.jsonl; its weights and gradient norms are not plotted.")
                continue
            }
            let records = try readRecords(cell.recordsURL).sorted { $0.step < $1.step }
            let seedText = cell.seed.map { " (seed \($0))" } ?? ""
            let window = max(1, records.count / 50)
            let tasks = Set(records.flatMap { Array($0.decoderWeights.keys) + Array(($0.encoderWeights ?? [:]).keys) }).sorted()
            var series: [SVGPlot.Series] = []
            for (taskIndex, task) in tasks.enumerated() {
                let decoder = records.compactMap { record in record.decoderWeights[task].map { (x: Double(record.step), y: $0) } }.filter { $0.y.isFinite }
                var encoder = records.compactMap { record in record.encoderWeights?[task].map { (x: Double(record.step), y: $0) } }.filter { $0.y.isFinite }
                // Encoder weights equal to the decoder's at every step add nothing but a hidden line.
                if encoder.count == decoder.count, zip(encoder, decoder).allSatisfy({ $0.x == $1.x && $0.y == $1.y }) { encoder = [] }
                if !decoder.isEmpty {
                    series.append(SVGPlot.Series(name: encoder.isEmpty ? task : "\(task) (decoder)", points: SeriesSmoothing.prepared(decoder), colorIndex: taskIndex))
                }
                if !encoder.isEmpty {
                    series.append(SVGPlot.Series(name: "\(task) (encoder)", points: SeriesSmoothing.prepared(encoder), dashed: true, colorIndex: taskIndex))
                }
            }
            add(.taskWeights, "weights-\(slug(group.label))",
                SVGPlot(title: "Task weights: \(group.label)\(seedText)", xLabel: "step",
                        yLabel: "weight (moving average over \(window) steps)", series: series))
            // (d) Each family of the strategy's reports (the part of the key before the first dot).
            let keys = Set(records.flatMap { Array(($0.reports ?? [:]).keys) })
            let families = Dictionary(grouping: keys.sorted()) { String($0.prefix { $0 != "." }) }
            for (family, members) in families.sorted(by: { $0.key < $1.key }) where members.count <= 12 {
                let series = members.enumerated().map { memberIndex, key in
                    SVGPlot.Series(name: key, points: SeriesSmoothing.prepared(records.compactMap { record in
                        record.reports?[key].map { (x: Double(record.step), y: $0) } }.filter { $0.y.isFinite }), colorIndex: memberIndex)
                }.filter { !$0.points.isEmpty }
                if series.isEmpty { continue }
                add(.strategyReports, "reports-\(slug(family))-\(slug(group.label))",
                    SVGPlot(title: "\(family): \(group.label)\(seedText)", xLabel: "step", yLabel: "\(family) (moving average)", series: series))
            }
            let norm = records.map { (x: Double($0.step), y: $0.sharedGradientNorm) }.filter { $0.y.isFinite }
            norms.append(SVGPlot.Series(name: group.label + seedText, points: SeriesSmoothing.prepared(norm), colorIndex: index))
        }
        if !norms.isEmpty {
            add(.gradientNorm, "gradient-norm", SVGPlot(title: "Shared-gradient norm after combination", xLabel: "step",
                                         yLabel: "‖shared gradient‖ (moving average)", series: norms))
        }

        // (e) Each task's headline metric against every numeric matrix axis.
        for sweep in sweeps(of: matrixGroups) {
            for column in columns {
                let series = sweep.lines.enumerated().map { index, line in
                    let summaries = line.points.map { point in
                        SampleSummary(point.group.cells.compactMap { $0.metrics(split: split)[column.task]?[column.metric] })
                    }
                    let kept = zip(line.points, summaries).compactMap { point, summary in summary.map { (x: point.x, summary: $0) } }
                    return SVGPlot.Series(name: line.label, points: kept.map { (x: $0.x, y: $0.summary.mean) }, colorIndex: index,
                                          errors: kept.map { $0.summary.spread(spread) }, markers: true)
                }.filter { !$0.points.isEmpty }
                if series.isEmpty { continue }
                add(.sweep, "sweep-\(slug(sweep.axis))-\(slug(column.task))",
                    SVGPlot(title: "\(column.task) \(column.metric) against \(sweep.axis) (\(split), mean ± \(spread == .standardDeviation ? "std" : "standard error") over seeds)",
                            xLabel: sweep.axis, yLabel: column.title, series: series))
            }
        }
        return (plots, notes)
    }

    /// One numeric matrix axis and the lines plotted against it.
    struct Sweep {
        struct Line {
            /// The other coordinates (`strategy=tmt`), or `all rows` when there are none.
            var label: String
            /// The groups of the line with their value of the axis, in increasing order.
            var points: [(x: Double, group: CellGroup)]
        }
        var axis: String
        var lines: [Line]
    }

    /// Every non-seed axis whose values are all numbers, with at least two distinct values among
    /// the groups that have it (rows without the axis — an included suite's — are left out); the
    /// groups are split into lines by their other coordinates.
    static func sweeps(of groups: [CellGroup]) -> [Sweep] {
        var axes: [String] = []
        for group in groups { for coordinate in group.coordinates where !axes.contains(coordinate.axis) { axes.append(coordinate.axis) } }
        return axes.filter { $0 != "seed" }.compactMap { axis in
            let having = groups.filter { $0.value(of: axis) != nil }
            let values = having.map { Double($0.value(of: axis)!) }
            guard values.allSatisfy({ $0?.isFinite == true }), Set(values.compactMap { $0 }).count >= 2 else { return nil }
            var lines: [Sweep.Line] = []
            for (group, value) in zip(having, values.compactMap { $0 }) {
                let others = group.coordinates.filter { $0.axis != axis }
                let label = others.isEmpty ? "all rows" : others.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
                if let index = lines.firstIndex(where: { $0.label == label }) {
                    lines[index].points.append((value, group))
                } else {
                    lines.append(Sweep.Line(label: label, points: [(value, group)]))
                }
            }
            for index in lines.indices { lines[index].points.sort { $0.x < $1.x } }
            return Sweep(axis: axis, lines: lines)
        }
    }
}
