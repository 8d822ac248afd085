import Foundation

/// One finished cell of a suite as a report sees it: what it is (`cell.json`), what it measured
/// (`result.json`) and where it lives (its `records.jsonl` is read from there for plots).
public struct ReportCell: Equatable {
    public var description: CellDescription
    public var result: Experiment.Result
    public var folder: URL

    public var identifier: String { description.identifier }
    public var coordinates: [String: String] { description.coordinates }
    public var baselineTask: String? { description.baselineTask }
    public var seed: String? { description.coordinates["seed"] }
    public var recordsURL: URL { folder.appendingPathComponent("records.jsonl") }

    /// The coordinate names in the order the identifier lists them (`CellDescription.axes`).
    public var axes: [String] { description.axes }

    /// The cell's metrics of one split: task → metric → value (empty when the split is absent).
    public func metrics(split: String) -> [String: [String: Double]] { result.metrics[split] ?? [:] }

    /// The mean validation error (the recipe's selection criterion, lower is better) over the
    /// evaluations the cell's metrics come from; `nil` when none is recorded.
    public var validationError: Double? {
        let used = result.history.filter { result.selectedSteps.contains($0.step) }.map(\.validationError)
        return used.isEmpty ? nil : used.reduce(0, +) / Double(used.count)
    }

    /// This cell with its metrics replaced by the mean of its last `count` evaluations (every split,
    /// task and metric present in all of them), and those evaluations as its selected steps.
    /// Unchanged when the cell has no evaluation history.
    public func usingLastEvaluations(_ count: Int) -> ReportCell {
        let chosen = result.history.suffix(count)
        guard let first = chosen.first else { return self }
        var metrics: [String: [String: [String: Double]]] = [:]
        for (split, tasks) in first.metrics {
            for (task, values) in tasks {
                for metric in values.keys {
                    let series = chosen.compactMap { $0.metrics[split]?[task]?[metric] }
                    guard series.count == chosen.count else { continue }
                    metrics[split, default: [:]][task, default: [:]][metric] = series.reduce(0, +) / Double(series.count)
                }
            }
        }
        var copy = self
        copy.result.metrics = metrics
        copy.result.selectedSteps = chosen.map(\.step)
        return copy
    }
}

extension CellDescription {
    /// The coordinate names in the order the identifier lists them (`strategy=uw,seed=0` gives
    /// `strategy`, `seed`); names the identifier does not show come last, alphabetically.
    public var axes: [String] {
        let text = "," + identifier
        return coordinates.keys.sorted { first, second in
            let firstPosition = text.range(of: ",\(first)=").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? Int.max
            let secondPosition = text.range(of: ",\(second)=").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? Int.max
            return firstPosition != secondPosition ? firstPosition < secondPosition : first < second
        }
    }
}

/// Orders coordinate values as people expect: numbers numerically (`2` before `10`), everything else
/// as text, numbers before text.
enum CoordinateOrder {
    static func precedes(_ first: String, _ second: String) -> Bool {
        switch (Double(first), Double(second)) {
        case let (a?, b?) where a != b: return a < b
        case (_?, nil): return true
        case (nil, _?): return false
        default: return first < second
        }
    }

    /// Whether the values of `first` come before those of `second`, compared axis by axis in `axes`
    /// order (a missing value sorts first).
    static func precedes(_ first: [String: String], _ second: [String: String], axes: [String]) -> Bool {
        for axis in axes {
            let a = first[axis] ?? "", b = second[axis] ?? ""
            if a != b { return precedes(a, b) }
        }
        return false
    }
}
