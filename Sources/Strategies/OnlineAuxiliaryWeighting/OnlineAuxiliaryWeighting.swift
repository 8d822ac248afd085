/// OL-AUX, online learning of auxiliary-loss weights (Lin, Baweja, Kantor & Held, "Adaptive
/// Auxiliary Task Weighting for Reinforcement Learning", NeurIPS 2019), STRATEGIES.md §8.
///
/// `L_tot = L_main + Σ_k w_k L_aux,k` with w init 1. Each step records `α⟨g_main, g_aux,k⟩`
/// (α = the network's learning rate; gradients w.r.t. the shared parameters); every N steps
/// `w_k ← w_k + β Σ_{j<N} α⟨g_main^{(j)}, g_aux,k^{(j)}⟩` (the paper's
/// `∇_{w_k} L_main(θ_{t+N}) ≈ −α Σ_j ∇L_mainᵀ∇L_aux,k`), clipped at ≥ 0 as in the reference
/// (Xingyu-Lin/auxiliary-tasks-rl: `w ← clip(w + β·N·mean(buffer), 0, ∞)`), and the accumulator
/// is cleared. A value type: copy it to checkpoint it.
public struct OnlineAuxiliaryWeighting: Equatable, Codable, Sendable {
    /// w_k, one per auxiliary task.
    public private(set) var weights: [Double]
    /// N, steps between weight updates (reference `aux_update_interval` = 5).
    public let updateInterval: Int
    /// β (reference `aux_base_lr` = 5).
    public let weightLearningRate: Double
    /// Whether weights are clipped at 0 after each update (the reference: yes).
    public let clipsAtZero: Bool
    /// Σ α⟨g_main, g_aux,k⟩ since the last update.
    public private(set) var accumulatedProducts: [Double]
    /// Steps recorded since the last update.
    public private(set) var recordedSteps: Int

    /// - Throws: `.tooFewTasks` for no auxiliary task, `.invalidArgument` for N < 1.
    public init(auxiliaryCount: Int, initialWeight: Double = 1, updateInterval: Int = 5,
                weightLearningRate: Double = 5, clipsAtZero: Bool = true) throws {
        try MathValidation.taskCount(auxiliaryCount, function: "OnlineAuxiliaryWeighting.init")
        guard updateInterval >= 1 else {
            throw StrategyMathError.invalidArgument(function: "OnlineAuxiliaryWeighting.init", reason: "updateInterval must be ≥ 1")
        }
        weights = [Double](repeating: initialWeight, count: auxiliaryCount)
        self.updateInterval = updateInterval
        self.weightLearningRate = weightLearningRate
        self.clipsAtZero = clipsAtZero
        accumulatedProducts = [Double](repeating: 0, count: auxiliaryCount)
        recordedSteps = 0
    }

    /// Records one step's inner products `⟨g_main, g_aux,k⟩` taken with learning rate α; on every
    /// N-th step applies the update. Returns whether the weights changed.
    /// - Throws: `.lengthMismatch` when there is not one product per auxiliary task.
    @discardableResult
    public mutating func record(mainAuxiliaryProducts: [Double], learningRate: Double) throws -> Bool {
        try MathValidation.length(mainAuxiliaryProducts, weights.count, argument: "mainAuxiliaryProducts",
                                  function: "OnlineAuxiliaryWeighting.record")
        for k in weights.indices { accumulatedProducts[k] += learningRate * mainAuxiliaryProducts[k] }
        recordedSteps += 1
        guard recordedSteps == updateInterval else { return false }
        for k in weights.indices {
            let updated = weights[k] + weightLearningRate * accumulatedProducts[k]
            weights[k] = clipsAtZero ? max(0, updated) : updated
        }
        accumulatedProducts = accumulatedProducts.map { _ in 0 }
        recordedSteps = 0
        return true
    }

    /// Convenience: the products from a gradient matrix whose row 0 is g_main and rows 1…K the
    /// auxiliary gradients (uses the Gram row of the main task).
    @discardableResult
    public mutating func record(gradients: TaskGradientMatrix, learningRate: Double) throws -> Bool {
        try MathValidation.length(0..<gradients.taskCount, weights.count + 1, argument: "gradient rows (main + auxiliaries)",
                                  function: "OnlineAuxiliaryWeighting.record")
        let main = gradients.row(0)
        let products = try gradients.dotProducts(with: main)
        return try record(mainAuxiliaryProducts: Array(products.dropFirst()), learningRate: learningRate)
    }
}
