/// Transference scores of IT-MTL (Fifty et al.) and the task affinities of TAG (Fifty, Amid, Zhao,
/// Yu, Anil & Finn, "Efficiently Identifying Task Groupings for Multi-Task Learning", NeurIPS
/// 2021), STRATEGIES.md §10.
///
/// Exact: `Z_{ξ→j} = 1 − L_j(θ_s^{t+1|ξ}) / L_j(θ_s^t)` from lookahead losses (heads updated first
/// per the paper, or unchanged — the caller evaluates the losses), `Z_ξ = Σ_j Z_{ξ→j}`, and IT-MTL
/// applies `argmax_ξ Z_ξ`. First order (no extra forwards): Taylor gives
/// `Z_ξ ≈ η g_ξ·Σ_j g_j/L_j`, so candidates are ranked by the unnormalised inner product with the
/// gradient of the log-product loss `log Π_j L_j`; the cosine variant divides by both norms.
public enum TransferenceScore {
    /// `Z_{ξ→j} = 1 − after_j / before_j` per task.
    /// - Throws: `.lengthMismatch`, or `.invalidArgument` for a non-positive loss before the step.
    public static func transference(lossesBefore: [Double], lossesAfter: [Double]) throws -> [Double] {
        let function = "TransferenceScore.transference"
        try MathValidation.taskCount(lossesBefore.count, function: function)
        try MathValidation.length(lossesAfter, lossesBefore.count, argument: "lossesAfter", function: function)
        guard lossesBefore.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "losses before the step must be positive")
        }
        return zip(lossesBefore, lossesAfter).map { 1 - $1 / $0 }
    }

    /// `Z_ξ = Σ_j Z_{ξ→j}`.
    public static func totalTransference(lossesBefore: [Double], lossesAfter: [Double]) throws -> Double {
        try transference(lossesBefore: lossesBefore, lossesAfter: lossesAfter).reduce(0, +)
    }

    /// TAG's affinity `Z_{i→j}/η` (the reference divides by the learning rate).
    public static func affinity(lossesBefore: [Double], lossesAfter: [Double], learningRate: Double) throws -> [Double] {
        guard learningRate > 0 else {
            throw StrategyMathError.invalidArgument(function: "TransferenceScore.affinity", reason: "learning rate must be positive")
        }
        return try transference(lossesBefore: lossesBefore, lossesAfter: lossesAfter).map { $0 / learningRate }
    }

    /// The weights u_j = 1/L_j of the log-product gradient `∇ log Π_j L_j = Σ_j g_j / L_j`.
    public static func logProductWeights(losses: [Double]) throws -> [Double] {
        guard losses.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: "TransferenceScore.logProductWeights", reason: "losses must be positive")
        }
        return losses.map { 1 / $0 }
    }

    /// First-order scores `g_ξ · Σ_j g_j/L_j = cᵀ M u` for every candidate (c its weights, u = 1/L),
    /// or with `cosine`, that product divided by `‖g_ξ‖·‖Σ_j g_j/L_j‖` (0 when a norm is 0).
    /// Multiply by η for the Taylor estimate of Z_ξ.
    /// - Throws: malformed-matrix errors, `.lengthMismatch` for candidates or losses of the wrong length.
    public static func firstOrderScores(candidates: [TransferenceCandidate], gram: [[Double]], losses: [Double],
                                        cosine: Bool = false) throws -> [Double] {
        let function = "TransferenceScore.firstOrderScores"
        let t = try MathValidation.squareMatrix(gram, function: function)
        try MathValidation.length(losses, t, argument: "losses", function: function)
        let u = try logProductWeights(losses: losses)
        let mu = MinimumNormSolver.matrixVector(gram, u)
        let logProductNorm = max(zip(mu, u).reduce(0) { $0 + $1.0 * $1.1 }, 0).squareRoot()
        return try candidates.map { candidate in
            try MathValidation.length(candidate.weights, t, argument: "candidate \(candidate.name)", function: function)
            let product = zip(candidate.weights, mu).reduce(0) { $0 + $1.0 * $1.1 }
            guard cosine else { return product }
            let candidateNorm = MinimumNormSolver.quadraticForm(gram, candidate.weights).squareRoot()
            return candidateNorm > 0 && logProductNorm > 0 ? product / (candidateNorm * logProductNorm) : 0
        }
    }

    /// The index of the best score (the first one on ties).
    /// - Throws: `.tooFewTasks` for no scores, `.invalidArgument` for a NaN score.
    public static func bestIndex(scores: [Double]) throws -> Int {
        try MathValidation.taskCount(scores.count, function: "TransferenceScore.bestIndex")
        guard !scores.contains(where: { $0.isNaN }) else {
            throw StrategyMathError.invalidArgument(function: "TransferenceScore.bestIndex", reason: "a score is NaN: \(scores)")
        }
        var best = 0
        for i in scores.indices where scores[i] > scores[best] { best = i }
        return best
    }
}
