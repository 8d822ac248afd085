/// Choices a report makes on validation, never on test: leaving out each row's worst seeds, and
/// picking, per method, the setting of the tuned axes with the best validation criterion.
public enum ValidationSelection {
    /// What a tuned method chose among its settings, for the report.
    public struct Tuning: Equatable, Sendable {
        public var method: String
        /// Setting → mean validation error over its seeds, in the table's order.
        public var candidates: [(setting: String, validationError: Double?)]
        public var chosen: String

        public static func == (a: Tuning, b: Tuning) -> Bool {
            a.method == b.method && a.chosen == b.chosen
                && a.candidates.map(\.setting) == b.candidates.map(\.setting) && a.candidates.map(\.validationError) == b.candidates.map(\.validationError)
        }
    }

    /// Each group without its `count` seeds of highest validation error, while at least one seed
    /// remains (ties broken by the later seed); with a note per group naming what was left out.
    public static func droppingWorstSeeds(_ groups: [CellGroup], count: Int) -> (groups: [CellGroup], notes: [String]) {
        guard count > 0 else { return (groups, []) }
        var notes: [String] = []
        let kept = groups.map { group -> CellGroup in
            let droppable = min(count, group.cells.count - 1)
            guard droppable > 0 else {
                if group.cells.count <= count { notes.append("\(group.label): kept its only \(group.cells.count == 1 ? "seed" : "seeds") (fewer than \(count + 1)).") }
                return group
            }
            let ranked = group.cells.enumerated().sorted { a, b in
                let x = a.element.validationError ?? .infinity, y = b.element.validationError ?? .infinity
                return x != y ? x > y : a.offset > b.offset
            }
            let dropped = Set(ranked.prefix(droppable).map(\.offset))
            var copy = group
            copy.cells = group.cells.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
            let names = group.cells.enumerated().filter { dropped.contains($0.offset) }.map { "seed \($0.element.seed ?? "—")" }
            notes.append("\(group.label): left out \(names.joined(separator: ", ")) (highest validation error).")
            return copy
        }
        return (kept, notes)
    }

    /// Groups that differ only in the `tuned` axes form one method; of each method the group with
    /// the lowest mean validation error is kept, its tuned coordinates moved into `chosenSetting`.
    /// Methods keep the position of their first setting; baseline groups pass through unchanged.
    public static func choosingTunedSettings(_ groups: [CellGroup], tuned: [String]) -> (groups: [CellGroup], tunings: [Tuning]) {
        guard !tuned.isEmpty else { return (groups, []) }
        var order: [String] = []
        var methods: [String: [CellGroup]] = [:]
        var result: [CellGroup] = []
        var tunings: [Tuning] = []
        func methodKey(_ group: CellGroup) -> String {
            group.coordinates.filter { !tuned.contains($0.axis) }.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
        }
        for group in groups where group.baselineTask == nil {
            let key = methodKey(group)
            if methods[key] == nil { order.append(key) }
            methods[key, default: []].append(group)
        }
        for key in order {
            let settings = methods[key]!
            func setting(_ group: CellGroup) -> String {
                group.coordinates.filter { tuned.contains($0.axis) }.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
            }
            func error(_ group: CellGroup) -> Double? {
                let values = group.cells.compactMap(\.validationError)
                return values.count == group.cells.count && !values.isEmpty ? values.reduce(0, +) / Double(values.count) : nil
            }
            let best = settings.enumerated().min { a, b in
                let x = error(a.element) ?? .infinity, y = error(b.element) ?? .infinity
                return x != y ? x < y : a.offset < b.offset
            }!.element
            var chosen = best
            chosen.coordinates = best.coordinates.filter { !tuned.contains($0.axis) }
            chosen.chosenSetting = setting(best)
            result.append(chosen)
            tunings.append(Tuning(method: key.isEmpty ? "base recipe" : key, candidates: settings.map { (setting($0), error($0)) }, chosen: setting(best)))
        }
        return (result + groups.filter { $0.baselineTask != nil }, tunings)
    }
}
