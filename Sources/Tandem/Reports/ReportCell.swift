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

    /// The cell's metrics of one split: task → metric → value (empty when the split is absent).
    public func metrics(split: String) -> [String: [String: Double]] { result.metrics[split] ?? [:] }
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
