/// Which candidate updates IT-MTL chooses from at each step (STRATEGIES.md §10; "Measuring and
/// Harnessing Transference in Multi-Task Learning", Fifty et al.).
///
/// Subset candidates are sums of the (inner-weighted) task gradients of the tasks they name; the
/// inner strategy's own update can be a candidate too.
public enum TransferenceCandidateSet: Equatable, Sendable {
    /// All tasks, then each leave-one-out subset 𝒯∖{i} (the paper's default, T + 1 candidates).
    case leaveOneOutAndAll
    /// {Σ_t w_t g_t, the inner strategy's update} — IT-PCGrad when the inner strategy is PCGrad.
    case totalAndInner
    /// Explicit subsets of task names (the paper's NYUv2 set {S+D, S+N, D+N, S+D+N}), plus the
    /// inner strategy's update when `includingInner`.
    case subsets([[String]], includingInner: Bool)

    /// One candidate of a step: a subset's row weights (1 for member tasks) or the inner update.
    public enum Member: Equatable, Sendable {
        case subset(name: String, tasks: [String])
        case inner(name: String)

        public var name: String {
            switch self {
            case let .subset(name, _), let .inner(name): return name
            }
        }
    }

    /// The candidates for the tasks labelled in this step (in the model's order). Subsets keep
    /// only labelled tasks; subsets left empty and duplicates are dropped.
    public func members(tasks: [String], innerName: String) -> [Member] {
        func label(_ subset: [String]) -> String { subset.count == tasks.count ? "all" : subset.joined(separator: "+") }
        var result: [Member] = []
        func add(_ subset: [String]) {
            let ordered = tasks.filter(subset.contains)
            guard !ordered.isEmpty else { return }
            let member = Member.subset(name: label(ordered), tasks: ordered)
            if !result.contains(member) { result.append(member) }
        }
        switch self {
        case .leaveOneOutAndAll:
            add(tasks)
            if tasks.count > 1 { for left in tasks { add(tasks.filter { $0 != left }) } }
        case .totalAndInner:
            add(tasks)
            result.append(.inner(name: innerName))
        case let .subsets(subsets, includingInner):
            for subset in subsets { add(subset) }
            if includingInner { result.append(.inner(name: innerName)) }
        }
        return result
    }

    /// Task names a candidate list mentions that are not among `tasks` (a recipe error).
    public func unknownTasks(among tasks: [String]) -> [String] {
        guard case let .subsets(subsets, _) = self else { return [] }
        return subsets.flatMap { $0 }.filter { !tasks.contains($0) }
    }
}
