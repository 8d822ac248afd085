/// Task grouping from inter-task affinities (TAG: Fifty, Amid, Zhao, Yu, Anil & Finn, "Efficiently
/// Identifying Task Groupings for Multi-Task Learning", NeurIPS 2021), STRATEGIES.md §10.
///
/// `affinity[i][j]` is the affinity of source task i onto target task j (Z_{i→j}, e.g. averaged
/// over training). In a group g the score of a member j is the mean affinity onto j from the other
/// members, `s(g, j) = mean_{i∈g∖{j}} affinity[i][j]` (0 for a task alone: nothing transfers).
/// A grouping is `groupCount` distinct groups covering every task; as in TAG a task may sit in
/// several groups (each network is trained, a task is served by its best group), and its value is
/// `max_{g∋j} s(g, j)`; the grouping maximises the total `Σ_j` of those values. With `partition`
/// every task is in exactly one group. The search is exact, for up to 12 tasks (see `best`).
public struct TaskGrouping: Equatable, Sendable {
    /// The groups (sorted task indices), in the order they were chosen.
    public var groups: [[Int]]
    /// Each task's value `max_{g∋j} s(g, j)`.
    public var taskScores: [Double]
    /// For each task, the index in `groups` of the group that serves it (the first on ties).
    public var servingGroups: [Int]
    /// The total `Σ_j taskScores[j]`.
    public var score: Double { taskScores.reduce(0, +) }

    public static let maximumTaskCount = 12

    /// s(g, j) for a task j in `group`.
    public static func score(of task: Int, in group: [Int], affinity: [[Double]]) -> Double {
        let others = group.filter { $0 != task }
        guard !others.isEmpty else { return 0 }
        return others.reduce(0.0) { $0 + affinity[$1][task] } / Double(others.count)
    }

    /// The value of a given grouping (groups of task indices) under `affinity`.
    public static func evaluate(groups: [[Int]], affinity: [[Double]]) throws -> TaskGrouping {
        let t = try validate(affinity, groupCount: max(groups.count, 1), partition: false)
        var scores = [Double](repeating: -.infinity, count: t), serving = [Int](repeating: -1, count: t)
        for (index, group) in groups.enumerated() {
            for task in group {
                guard (0..<t).contains(task) else {
                    throw StrategyMathError.invalidArgument(function: "TaskGrouping.evaluate", reason: "task index \(task) is not below \(t)")
                }
                let value = score(of: task, in: group, affinity: affinity)
                if value > scores[task] { scores[task] = value; serving[task] = index }
            }
        }
        guard let missing = serving.firstIndex(of: -1) else {
            return TaskGrouping(groups: groups.map { $0.sorted() }, taskScores: scores, servingGroups: serving)
        }
        throw StrategyMathError.invalidArgument(function: "TaskGrouping.evaluate", reason: "task \(missing) is in no group")
    }

    /// The best grouping into exactly `groupCount` groups.
    ///
    /// Exact, by dynamic programming over task subsets instead of searching group combinations:
    /// in an optimal grouping each task is served by one group, so the served sets partition the
    /// tasks into at most `groupCount` blocks S, each worth `w(S) = max_{g⊇S} Σ_{j∈S} s(g, j)`
    /// (with `partition`, exactly `groupCount` blocks worth `Σ_{j∈S} s(S, j)`); conversely any
    /// such partition is achievable, and extra groups never lower a total. So the best total is
    /// `max Σ w(S)` over those partitions — O(3^T) work (0.5 M subset pairs for T = 12).
    /// - Throws: `.invalidArgument` for a non-square or non-finite matrix, more than 12 tasks, or a
    ///   group count that cannot be met (more groups than tasks with `partition`).
    public static func best(affinity: [[Double]], groupCount: Int, partition: Bool = false) throws -> TaskGrouping {
        let t = try validate(affinity, groupCount: groupCount, partition: partition)
        let full = (1 << t) - 1
        // w(S) and the group attaining it, for every non-empty S.
        var blockValue = [Double](repeating: -.infinity, count: full + 1)
        var blockGroup = [Int](repeating: 0, count: full + 1)
        for group in 1...full {
            let members = (0..<t).filter { group & (1 << $0) != 0 }
            var scores = [Double](repeating: 0, count: t)
            for j in members { scores[j] = score(of: j, in: members, affinity: affinity) }
            if partition {
                blockValue[group] = members.reduce(0) { $0 + scores[$1] }
                blockGroup[group] = group
                continue
            }
            var served = group
            while served > 0 {
                var value = 0.0
                for j in members where served & (1 << j) != 0 { value += scores[j] }
                if value > blockValue[served] || (value == blockValue[served] && group < blockGroup[served]) {
                    blockValue[served] = value
                    blockGroup[served] = group
                }
                served = (served - 1) & group
            }
        }
        // best[k][M]: the best split of M into at most k blocks (exactly k with `partition`); the
        // block holding M's lowest task is enumerated, so each split is seen once.
        var best = [[Double]](repeating: [Double](repeating: -.infinity, count: full + 1), count: groupCount + 1)
        var choice = [[Int]](repeating: [Int](repeating: 0, count: full + 1), count: groupCount + 1)
        best[0][0] = 0
        for k in 1...groupCount {
            if !partition { best[k][0] = 0 }
            for mask in 1...full {
                let lowest = mask & -mask
                var block = mask
                while block > 0 {
                    if block & lowest != 0, best[k - 1][mask ^ block] > -.infinity {
                        let value = blockValue[block] + best[k - 1][mask ^ block]
                        if value > best[k][mask] { best[k][mask] = value; choice[k][mask] = block }
                    }
                    block = (block - 1) & mask
                }
            }
        }
        guard best[groupCount][full] > -.infinity else {
            throw StrategyMathError.invalidArgument(function: "TaskGrouping.best", reason: "no grouping into \(groupCount) groups exists")
        }
        var groups: [Int] = [], mask = full, k = groupCount
        while mask != 0 {
            let block = choice[k][mask]
            if !groups.contains(blockGroup[block]) { groups.append(blockGroup[block]) }
            mask ^= block
            k -= 1
        }
        // Fewer blocks than groups (groups may overlap): add the best-scoring unused groups; they
        // cannot lower the total, and cannot raise it past the optimum.
        if groups.count < groupCount {
            for candidate in candidateGroups(taskCount: t, affinity: affinity) where !groups.contains(candidate.mask) {
                groups.append(candidate.mask)
                if groups.count == groupCount { break }
            }
        }
        return try evaluate(groups: groups.map { group in (0..<t).filter { group & (1 << $0) != 0 } }, affinity: affinity)
    }

    /// The best grouping by trying every combination of `groupCount` candidate groups (for tests
    /// and small problems; C(2^T − 1, groupCount) combinations).
    public static func bruteForce(affinity: [[Double]], groupCount: Int, partition: Bool = false) throws -> TaskGrouping {
        let t = try validate(affinity, groupCount: groupCount, partition: partition)
        let candidates = candidateGroups(taskCount: t, affinity: affinity)
        var best: (value: Double, choice: [Int])? = nil
        var choice: [Int] = []
        func visit(_ start: Int) {
            if choice.count == groupCount {
                var values = [Double](repeating: -.infinity, count: t), covered = 0
                for index in choice {
                    if partition && covered & candidates[index].mask != 0 { return }
                    covered |= candidates[index].mask
                    for task in candidates[index].members { values[task] = max(values[task], candidates[index].scores[task]) }
                }
                guard covered == (1 << t) - 1 else { return }
                let total = values.reduce(0, +)
                if best == nil || total > best!.value { best = (total, choice) }
                return
            }
            guard start < candidates.count else { return }
            for index in start..<candidates.count {
                choice.append(index)
                visit(index + 1)
                choice.removeLast()
            }
        }
        visit(0)
        guard let best else {
            throw StrategyMathError.invalidArgument(function: "TaskGrouping.bruteForce", reason: "no grouping into \(groupCount) groups exists")
        }
        return try evaluate(groups: best.choice.map { candidates[$0].members }, affinity: affinity)
    }

    struct Candidate {
        var mask: Int
        var members: [Int]
        /// s(g, j) for members, −∞ elsewhere.
        var scores: [Double]
        var total: Double
    }

    /// Every non-empty subset, best standalone total first (a good incumbent early); ties by mask.
    static func candidateGroups(taskCount t: Int, affinity: [[Double]]) -> [Candidate] {
        var result: [Candidate] = []
        for mask in 1..<(1 << t) {
            let members = (0..<t).filter { mask & (1 << $0) != 0 }
            var scores = [Double](repeating: -.infinity, count: t)
            for j in members { scores[j] = score(of: j, in: members, affinity: affinity) }
            result.append(Candidate(mask: mask, members: members, scores: scores, total: members.reduce(0) { $0 + scores[$1] }))
        }
        return result.sorted { $0.total != $1.total ? $0.total > $1.total : $0.mask < $1.mask }
    }

    static func validate(_ affinity: [[Double]], groupCount: Int, partition: Bool) throws -> Int {
        let function = "TaskGrouping"
        let t = affinity.count
        guard t >= 1, affinity.allSatisfy({ $0.count == t }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the affinity matrix must be square and non-empty")
        }
        guard affinity.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the affinity matrix has a non-finite entry")
        }
        guard t <= maximumTaskCount else {
            throw StrategyMathError.invalidArgument(function: function, reason: "exact grouping is for up to \(maximumTaskCount) tasks, found \(t)")
        }
        let most = partition ? t : (1 << t) - 1
        guard (1...most).contains(groupCount) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "\(t) tasks cannot form \(groupCount) groups\(partition ? " that partition them" : "") (1…\(most))")
        }
        return t
    }
}
