import Foundation

/// The suite's machine-readable results: `results.jsonl` (one JSON object per cell) and
/// `results.csv` (one row per cell × split × task × metric).
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

    /// `results.jsonl` for `cells`, in their order.
    static func jsonLines(_ cells: [ReportCell]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try cells.map { cell in
            let line = Line(identifier: cell.identifier, coordinates: cell.coordinates, baselineTask: cell.baselineTask,
                            metrics: cell.result.metrics, secondsPerStep: cell.result.secondsPerStep,
                            provenance: cell.result.provenance)
            return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }.joined()
    }

    /// `results.csv` for `cells`: `identifier`, one column per coordinate (in `axes` order, empty
    /// where a cell lacks it), then `split,task,metric,value`.
    static func csv(_ cells: [ReportCell], axes: [String]) -> String {
        var lines = [(["identifier"] + axes + ["split", "task", "metric", "value"]).map(field).joined(separator: ",")]
        for cell in cells {
            let prefix = [cell.identifier] + axes.map { cell.coordinates[$0] ?? "" }
            for (split, tasks) in cell.result.metrics.sorted(by: { $0.key < $1.key }) {
                for (task, metrics) in tasks.sorted(by: { $0.key < $1.key }) {
                    for (metric, value) in metrics.sorted(by: { $0.key < $1.key }) {
                        lines.append((prefix + [split, task, metric, "\(value)"]).map(field).joined(separator: ","))
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
    static func field(_ text: String) -> String {
        text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
