/// Gradient Sign Dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov, "Just Pick a
/// Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020),
/// STRATEGIES.md §13e, at the representation level as in LibMTL.
///
/// Per task, per-sample representation gradients `h_t` (B×D) and the layer input `A` (B×D):
/// signed sums `S_t = Σ_b sign(A_b) ⊙ h_{t,b}` (D-vectors), purity
/// `P = ½(1 + Σ_t S_t / (Σ_t |S_t| + 1e-7))`, thresholds `U ~ Uniform(0,1)^D` (one per feature,
/// shared by tasks and samples), masks `m_t = 1[P > U]·1[S_t > 0] + 1[P < U]·1[S_t < 0]`, output
/// `h = Σ_t (ℓ + (1−ℓ)m_t) ⊙ h_t` (masks broadcast over the batch), leak ℓ = 0 by default.
/// sign(0) = 0 (as `torch.sign`).
public enum GradDropCombination {
    /// The combined gradient and the intermediate quantities.
    public struct Result: Equatable, Sendable {
        /// h (B×D, row-major).
        public var combined: [Float]
        /// S_t per task (T × D).
        public var signedSums: [[Double]]
        /// P (D).
        public var purity: [Double]
        /// m_t per task (T × D), 0 or 1.
        public var masks: [[Double]]
    }

    /// The constant added to the purity denominator (the reference's 1e-7).
    public static let purityEpsilon = 1e-7

    /// Combines the task gradients with the given thresholds.
    /// - Parameters:
    ///   - taskGradients: one B×D row-major array per task.
    ///   - activations: A, B×D row-major.
    ///   - featureCount: D (B = activations.count / D).
    ///   - thresholds: U, D draws from Uniform(0, 1).
    ///   - leak: ℓ ∈ [0, 1] (a single leak for every task).
    /// - Throws: `.tooFewTasks`, `.lengthMismatch` / `.invalidArgument` for inconsistent shapes.
    public static func combine(taskGradients: [[Float]], activations: [Float], featureCount: Int,
                               thresholds: [Double], leak: Double = 0) throws -> Result {
        let function = "GradDropCombination.combine"
        try MathValidation.taskCount(taskGradients.count, function: function)
        guard featureCount > 0, activations.count % featureCount == 0 else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "activations (\(activations.count)) are not a multiple of featureCount \(featureCount)")
        }
        for h in taskGradients { try MathValidation.length(h, activations.count, argument: "a task gradient", function: function) }
        try MathValidation.length(thresholds, featureCount, argument: "thresholds", function: function)
        guard (0...1).contains(leak) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "leak must lie in [0, 1], got \(leak)")
        }
        let batch = activations.count / featureCount
        let signs = activations.map { $0 > 0 ? 1.0 : ($0 < 0 ? -1.0 : 0.0) }
        let signedSums = taskGradients.map { h in
            (0..<featureCount).map { f in (0..<batch).reduce(0.0) { $0 + signs[$1 * featureCount + f] * Double(h[$1 * featureCount + f]) } }
        }
        let purity = (0..<featureCount).map { f -> Double in
            let total = signedSums.reduce(0.0) { $0 + $1[f] }
            let absolute = signedSums.reduce(0.0) { $0 + abs($1[f]) }
            return 0.5 * (1 + total / (absolute + purityEpsilon))
        }
        let masks = signedSums.map { s in
            (0..<featureCount).map { f -> Double in
                let keepPositive = purity[f] > thresholds[f] && s[f] > 0
                let keepNegative = purity[f] < thresholds[f] && s[f] < 0
                return keepPositive || keepNegative ? 1 : 0
            }
        }
        var combined = [Float](repeating: 0, count: activations.count)
        for b in 0..<batch {
            for f in 0..<featureCount {
                var total = 0.0
                for (t, h) in taskGradients.enumerated() {
                    total += (leak + (1 - leak) * masks[t][f]) * Double(h[b * featureCount + f])
                }
                combined[b * featureCount + f] = Float(total)
            }
        }
        return Result(combined: combined, signedSums: signedSums, purity: purity, masks: masks)
    }

    /// D thresholds drawn from Uniform[0, 1) with 53 random bits each.
    public static func randomThresholds<Generator: RandomNumberGenerator>(featureCount: Int, using generator: inout Generator) -> [Double] {
        (0..<featureCount).map { _ in Double(generator.next() >> 11) * 0x1p-53 }
    }
}
