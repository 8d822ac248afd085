/// SDMGrad's task weights (Xiao, Ban & Ji, "Direction-oriented Multi-objective Learning: Simple
/// and Provable Stochastic Algorithms", NeurIPS 2023; TorchJD `SDMGradWeighting`, LibMTL `SDMGrad`).
///
/// From the cross-batch matrix `A = J_ξ J_ξ'ᵀ` (the task gradients of two independent batches; not
/// symmetric in general), normalised by the mean root of its non-negative diagonal,
/// `Â = A/((mean_t √max(A_tt, 0))² + 1e-8)`, the weights w on the simplex take `iterations` steps of
/// projected SGD with momentum on `½‖J(w + λw̃)‖²`: **`v ← μv + Â(w + λw̃)`, `w ← Π_Δ(w − ηv)`**
/// (v restarts at each step; w carries over, starting at 1/T). The direction's weights are
/// **`(w + λw̃)/(1 + λ)`** with w̃ = 1/T (the average gradient is the preferred direction).
public struct SDMGradWeights: Equatable, Sendable {
    public struct Settings: Equatable, Sendable {
        public var learningRate = 10.0, momentum = 0.5, iterations = 20, lambda = 0.3
        public init(learningRate: Double = 10, momentum: Double = 0.5, iterations: Int = 20, lambda: Double = 0.3) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.iterations = iterations
            self.lambda = lambda
        }
    }

    public let settings: Settings
    /// w, on the simplex.
    public private(set) var weights: [Double]

    public init(taskCount: Int, settings: Settings = Settings()) {
        self.init(settings: settings, weights: [Double](repeating: 1 / Double(taskCount), count: taskCount))
    }

    /// Restores a state (for checkpoints).
    public init(settings: Settings, weights: [Double]) {
        self.settings = settings
        self.weights = weights
    }

    /// One step from A (T×T): updates w and returns the direction's weights `(w + λw̃)/(1 + λ)`.
    /// - Throws: malformed-matrix errors.
    public mutating func step(crossGram a: [[Double]]) throws -> [Double] {
        let t = try MathValidation.squareMatrix(a, function: "SDMGradWeights.step")
        precondition(t == weights.count, "one weight per task")
        let preferred = [Double](repeating: 1 / Double(t), count: t)
        let scale = (0..<t).reduce(0) { $0 + max(a[$1][$1], 0).squareRoot() } / Double(t)
        let divisor = scale * scale + 1e-8
        let normalized = a.map { $0.map { $0 / divisor } }
        let lambda = settings.lambda
        var w = weights
        var velocity: [Double]?
        for _ in 0..<settings.iterations {
            let target = (0..<t).map { w[$0] + lambda * preferred[$0] }
            let gradient = (0..<t).map { i in (0..<t).reduce(0) { $0 + normalized[i][$1] * target[$1] } }
            let v = velocity.map { previous in (0..<t).map { settings.momentum * previous[$0] + gradient[$0] } } ?? gradient
            velocity = v
            w = SimplexProjection.project((0..<t).map { w[$0] - settings.learningRate * v[$0] })
        }
        weights = w
        return (0..<t).map { (w[$0] + lambda * preferred[$0]) / (1 + lambda) }
    }
}
