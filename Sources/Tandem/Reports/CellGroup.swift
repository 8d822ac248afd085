import Foundation

/// Cells that differ only in `seed`: one row of the comparison table and one line of a plot.
public struct CellGroup: Equatable {
    /// The non-seed coordinates in axis order, e.g. `[("strategy", "pcgrad")]`.
    public var coordinates: [Coordinate]
    /// For a group of single-task baseline cells, the task they train.
    public var baselineTask: String?
    /// The group's cells, by seed.
    public var cells: [ReportCell]
    /// For a method tuned on validation, the setting it kept (`strategy.k=5`); its tuned axes are
    /// then no longer in `coordinates`.
    public var chosenSetting: String? = nil

    public struct Coordinate: Equatable, Sendable {
        public var axis: String
        public var value: String
    }

    /// `strategy=pcgrad, model.split=3`; `base recipe` when the only axis is the seed.
    public var label: String {
        coordinates.isEmpty ? "base recipe" : coordinates.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
    }

    /// The seeds of the cells, in order (`—` for a cell without a seed coordinate).
    public var seeds: [String] { cells.map { $0.seed ?? "—" } }

    public func value(of axis: String) -> String? { coordinates.first { $0.axis == axis }?.value }

    /// The smallest suite index of the group's cells, when every cell recorded one.
    var firstIndex: Int? {
        let indices = cells.compactMap(\.description.index)
        return indices.count == cells.count ? indices.min() : nil
    }

    /// Every axis of `cells` in the order their identifiers list them (first appearance wins; matrix
    /// cells before baselines, so `baseline` comes after the matrix axes).
    static func axisOrder(of cells: [ReportCell]) -> [String] {
        var order: [String] = []
        let sorted = cells.sorted { ($0.baselineTask != nil ? 1 : 0, $0.identifier) < ($1.baselineTask != nil ? 1 : 0, $1.identifier) }
        for cell in sorted {
            for axis in cell.axes where !order.contains(axis) { order.append(axis) }
        }
        return order
    }

    /// The groups of `cells`: matrix groups first, then baseline groups, each in the suite file's
    /// order (the first `CellDescription.index` of each group; without recorded indices, ordered by
    /// their coordinate values axis by axis). The order depends only on the cells, never on the
    /// folders they came from, so merged shards give the same groups as one folder.
    static func groups(of cells: [ReportCell]) -> [CellGroup] {
        let axes = axisOrder(of: cells)
        var groups: [String: CellGroup] = [:]
        for cell in cells {
            let coordinates = axes.filter { $0 != "seed" }.compactMap { axis in
                cell.coordinates[axis].map { Coordinate(axis: axis, value: $0) }
            }
            let key = coordinates.map { "\($0.axis)=\($0.value)" }.joined(separator: "\u{1F}")
            groups[key, default: CellGroup(coordinates: coordinates, baselineTask: cell.baselineTask, cells: [])].cells.append(cell)
        }
        return groups.values.map { group in
            var group = group
            group.cells.sort { CoordinateOrder.precedes($0.seed ?? "", $1.seed ?? "") }
            return group
        }.sorted { first, second in
            if (first.baselineTask == nil) != (second.baselineTask == nil) { return first.baselineTask == nil }
            if let a = first.firstIndex, let b = second.firstIndex, a != b { return a < b }
            let firstValues = Dictionary(uniqueKeysWithValues: first.coordinates.map { ($0.axis, $0.value) })
            let secondValues = Dictionary(uniqueKeysWithValues: second.coordinates.map { ($0.axis, $0.value) })
            return CoordinateOrder.precedes(firstValues, secondValues, axes: axes)
        }
    }
}
