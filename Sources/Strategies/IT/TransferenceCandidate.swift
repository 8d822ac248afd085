/// A candidate update of IT-MTL ("Measuring and Harnessing Transference in Multi-Task Learning",
/// Fifty, Amid, Zhao, Yu, Anil & Finn, 2020/21), STRATEGIES.md §10: a gradient for the shared
/// parameters, written as row weights over the task gradients (`g_ξ = Σ_t weights[t]·g_t`), so a
/// subset is a 0/1 vector and a surgery output (PCGrad, UW-weighted sums) its direction weights.
public struct TransferenceCandidate: Equatable, Sendable {
    /// A label for reports (e.g. "all", "without t1", "pcgrad").
    public var name: String
    /// The row weights defining g_ξ.
    public var weights: [Double]

    public init(name: String, weights: [Double]) {
        self.name = name
        self.weights = weights
    }

    /// The candidate summing the tasks in `subset`.
    /// - Throws: `.invalidArgument` for an empty subset or an index outside 0..<taskCount.
    public static func subset(_ subset: [Int], taskCount: Int, name: String? = nil) throws -> TransferenceCandidate {
        guard !subset.isEmpty, subset.allSatisfy({ (0..<taskCount).contains($0) }), Set(subset).count == subset.count else {
            throw StrategyMathError.invalidArgument(function: "TransferenceCandidate.subset",
                                                    reason: "\(subset) is not a non-empty set of task indices below \(taskCount)")
        }
        var weights = [Double](repeating: 0, count: taskCount)
        for t in subset { weights[t] = 1 }
        return TransferenceCandidate(name: name ?? "{" + subset.sorted().map(String.init).joined(separator: ",") + "}", weights: weights)
    }

    /// The paper's default set J: all tasks, then each leave-one-out subset `𝒯∖{i}` in task order
    /// (T + 1 candidates; with T = 1 just "all").
    public static func leaveOneOutAndAll(taskCount: Int) throws -> [TransferenceCandidate] {
        try MathValidation.taskCount(taskCount, function: "TransferenceCandidate.leaveOneOutAndAll")
        var result = [try subset(Array(0..<taskCount), taskCount: taskCount, name: "all")]
        if taskCount > 1 {
            for i in 0..<taskCount {
                result.append(try subset((0..<taskCount).filter { $0 != i }, taskCount: taskCount, name: "without \(i)"))
            }
        }
        return result
    }

    /// Candidates from user subsets (e.g. NYUv2's {S+D, S+N, D+N, S+D+N}).
    public static func subsets(_ subsets: [[Int]], taskCount: Int) throws -> [TransferenceCandidate] {
        try subsets.map { try subset($0, taskCount: taskCount) }
    }

    /// IT-PCGrad's set {Σ_t g_t, PCGrad(G)} for the given PCGrad orders and reduction.
    public static func totalAndPCGrad(gram: [[Double]], orders: [[Int]],
                                      reduction: PCGradProjection.Reduction = .sum) throws -> [TransferenceCandidate] {
        let t = try MathValidation.squareMatrix(gram, function: "TransferenceCandidate.totalAndPCGrad")
        return [TransferenceCandidate(name: "all", weights: [Double](repeating: 1, count: t)),
                TransferenceCandidate(name: "pcgrad", weights: try PCGradProjection.directionWeights(gram: gram, orders: orders, reduction: reduction))]
    }
}
