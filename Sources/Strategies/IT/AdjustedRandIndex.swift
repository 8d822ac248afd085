/// The adjusted Rand index of two partitions of the same items (Hubert & Arabie, "Comparing
/// partitions", Journal of Classification 1985): the Rand index corrected for chance, 1 for
/// identical partitions (whatever the labels), about 0 for unrelated ones, negative below chance.
///
/// From the contingency table n_{kl} (items in cluster k of the first partition and cluster l of
/// the second), its row sums a_k, column sums b_l and n items:
///
///     index    = Σ_{kl} C(n_{kl}, 2)
///     expected = Σ_k C(a_k, 2) · Σ_l C(b_l, 2) / C(n, 2)
///     maximum  = ½ (Σ_k C(a_k, 2) + Σ_l C(b_l, 2))
///     ARI      = (index − expected) / (maximum − expected)
///
/// The denominator is 0 only when both partitions are one cluster or both are all singletons
/// (or n < 2), i.e. when they are identical; the index is then 1.
public enum AdjustedRandIndex {
    /// The ARI of two labelings of the same items (`first[i]`, `second[i]`: item i's cluster labels).
    /// - Throws: `.lengthMismatch` when the labelings have different lengths.
    public static func between<First: Hashable, Second: Hashable>(_ first: [First], _ second: [Second]) throws -> Double {
        guard first.count == second.count else {
            throw StrategyMathError.lengthMismatch(function: "AdjustedRandIndex", argument: "second labeling", expected: first.count, actual: second.count)
        }
        func pairs(_ count: Int) -> Double { Double(count) * Double(count - 1) / 2 }
        var cells: [Int: [Int: Int]] = [:], rows: [Int: Int] = [:], columns: [Int: Int] = [:]
        let firstIndex = clusterIndices(first), secondIndex = clusterIndices(second)
        for (k, l) in zip(firstIndex, secondIndex) {
            cells[k, default: [:]][l, default: 0] += 1
            rows[k, default: 0] += 1
            columns[l, default: 0] += 1
        }
        let index = cells.values.flatMap(\.values).reduce(0) { $0 + pairs($1) }
        let rowPairs = rows.values.reduce(0) { $0 + pairs($1) }, columnPairs = columns.values.reduce(0) { $0 + pairs($1) }
        let allPairs = pairs(first.count)
        let expected = allPairs > 0 ? rowPairs * columnPairs / allPairs : 0
        let maximum = (rowPairs + columnPairs) / 2
        guard maximum != expected else { return 1 }
        return (index - expected) / (maximum - expected)
    }

    /// The ARI of two groupings of `tasks` given as lists of task names, each covering every task once.
    /// - Throws: `.invalidArgument` naming a task that is in no group or in two groups of one grouping.
    public static func between(_ first: [[String]], _ second: [[String]], tasks: [String]) throws -> Double {
        try between(labels(first, tasks: tasks, what: "the first grouping"), labels(second, tasks: tasks, what: "the second grouping"))
    }

    /// Each of `tasks`' position in `groups`, which must hold every one of them exactly once; other
    /// names in `groups` are ignored (a recipe may train only some of a data set's tasks).
    /// - Throws: `.invalidArgument` naming a task that is in no group or in two groups.
    public static func labels(_ groups: [[String]], tasks: [String], what: String = "the grouping") throws -> [Int] {
        var label: [String: Int] = [:]
        for (position, group) in groups.enumerated() {
            for task in group {
                guard label.updateValue(position, forKey: task) == nil else {
                    throw StrategyMathError.invalidArgument(function: "AdjustedRandIndex", reason: "task \(task) is in two groups of \(what)")
                }
            }
        }
        return try tasks.map { task in
            guard let position = label[task] else {
                throw StrategyMathError.invalidArgument(function: "AdjustedRandIndex", reason: "task \(task) is in no group of \(what)")
            }
            return position
        }
    }

    /// Labels renumbered 0, 1, … in order of first appearance.
    static func clusterIndices<Label: Hashable>(_ labels: [Label]) -> [Int] {
        var numbers: [Label: Int] = [:]
        return labels.map { label in
            if let number = numbers[label] { return number }
            numbers[label] = numbers.count
            return numbers.count - 1
        }
    }
}
