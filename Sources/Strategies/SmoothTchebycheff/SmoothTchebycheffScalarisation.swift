import Foundation

/// Smooth Tchebycheff scalarisation, STCH (Lin, Zhang, Yang, Liu, Wang & Zhang, "Smooth
/// Tchebycheff Scalarization for Multi-Objective Optimization", ICML 2024), STRATEGIES.md §13m.
///
/// **General form** (paper; torchjd `STCH(mu, weights, reference)`):
/// `S = μ log Σ_t exp(λ_t (L_t − z*_t)/μ)` with preference λ (default 1/T), ideal point z*
/// (default 0) and smoothing μ > 0; S → `max_t λ_t(L_t − z*_t)` as μ → 0. The weights on the task
/// gradients are `∂S/∂L_t = λ_t · softmax(λ ⊙ (L − z*)/μ)_t`.
///
/// **Multi-task recipe** (the STCH reference code, identical in LibMTL): during the warm-up
/// epochs the loss is `Σ_t log(L_t + 1e-20)` (weights `1/(L_t + 1e-20)`); the batch losses of the
/// last warm-up epoch are averaged into a fixed nadir vector n; afterwards, with
/// `f_t = log(L_t/n_t + 1e-20)`, the loss is `T μ log Σ_t exp((f_t − max f)/μ)` (the detached max is
/// not added back: the value is offset by `−T·max f`, the gradient is not), i.e. weights
/// `T · softmax(f/μ)_t · ∂f_t/∂L_t` (≈ `T softmax(f/μ)_t / L_t`). ``NadirSchedule`` keeps that state.
public enum SmoothTchebycheffScalarisation {
    /// The references' guard inside the logarithms.
    public static let logGuard = 1e-20

    /// The general form: the value S and the weights `∂S/∂L_t`.
    /// - Parameters:
    ///   - losses: L.
    ///   - preference: λ ≥ 0; nil means 1/T.
    ///   - ideal: z*; nil means 0.
    ///   - smoothing: μ > 0.
    /// - Throws: `.lengthMismatch`, `.invalidArgument` for μ ≤ 0 or a negative preference.
    public static func general(losses: [Double], preference: [Double]? = nil, ideal: [Double]? = nil,
                               smoothing mu: Double) throws -> (value: Double, weights: [Double]) {
        let function = "SmoothTchebycheffScalarisation.general"
        try MathValidation.taskCount(losses.count, function: function)
        let t = losses.count
        guard mu > 0, mu.isFinite else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the smoothing μ must be positive, got \(mu)")
        }
        let lambda = preference ?? [Double](repeating: 1 / Double(t), count: t)
        let z = ideal ?? [Double](repeating: 0, count: t)
        try MathValidation.length(lambda, t, argument: "preference", function: function)
        try MathValidation.length(z, t, argument: "ideal", function: function)
        guard lambda.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the preference must be non-negative, got \(lambda)")
        }
        let y = (0..<t).map { lambda[$0] * (losses[$0] - z[$0]) }
        let (logSum, soft) = logSumExp(y.map { $0 / mu })
        return (mu * logSum, zip(lambda, soft).map { $0 * $1 })
    }

    /// The recipe's loss after warm-up, `T μ log Σ exp((f − max f)/μ)` with `f_t = log(L_t/n_t + 1e-20)`,
    /// and its weights `∂/∂L_t`.
    /// - Throws: `.lengthMismatch`; `.invalidArgument` for μ ≤ 0, a non-positive nadir or a negative loss.
    public static func nadirNormalised(losses: [Double], nadir: [Double], smoothing mu: Double) throws -> (value: Double, weights: [Double]) {
        let function = "SmoothTchebycheffScalarisation.nadirNormalised"
        try MathValidation.taskCount(losses.count, function: function)
        try MathValidation.length(nadir, losses.count, argument: "nadir", function: function)
        guard mu > 0, mu.isFinite else {
            throw StrategyMathError.invalidArgument(function: function, reason: "the smoothing μ must be positive, got \(mu)")
        }
        guard nadir.allSatisfy({ $0 > 0 && $0.isFinite }), losses.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function,
                                                    reason: "STCH needs positive nadir values and non-negative losses, got nadir \(nadir), losses \(losses)")
        }
        let t = Double(losses.count)
        let ratio = zip(losses, nadir).map { $0 / $1 + logGuard }
        let f = ratio.map { Foundation.log($0) }
        let top = f.max()!
        let (logSum, soft) = logSumExp(f.map { ($0 - top) / mu })
        let weights = (0..<losses.count).map { t * soft[$0] / (nadir[$0] * ratio[$0]) }
        return (t * mu * logSum, weights)
    }

    /// The warm-up loss `Σ log(L_t + 1e-20)` and its weights.
    /// - Throws: `.invalidArgument` for a negative loss.
    public static func warmUp(losses: [Double]) throws -> (value: Double, weights: [Double]) {
        let function = "SmoothTchebycheffScalarisation.warmUp"
        try MathValidation.taskCount(losses.count, function: function)
        guard losses.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: function, reason: "STCH's warm-up needs non-negative losses, got \(losses)")
        }
        return (losses.reduce(0) { $0 + Foundation.log($1 + logGuard) }, losses.map { 1 / ($0 + logGuard) })
    }

    /// `log Σ exp(x)` and `softmax(x)`, with the maximum subtracted.
    static func logSumExp(_ x: [Double]) -> (Double, [Double]) {
        let top = x.max()!
        let e = x.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return (top + Foundation.log(total), e.map { $0 / total })
    }

    /// The recipe's state: which phase an epoch is in, and the nadir accumulated in the last
    /// warm-up epoch.
    public struct NadirSchedule: Codable, Equatable, Sendable {
        /// The reference's `warmup_epoch` (default 4): epochs `0 … warmUpEpochs` (0-based) use the
        /// warm-up loss and the nadir is the mean batch loss of epoch `warmUpEpochs`; see
        /// ``weights(losses:epoch:smoothing:)``.
        public var warmUpEpochs: Int
        /// Σ of the batch losses accumulated so far (per task).
        public private(set) var sums: [Double]
        /// Batches accumulated.
        public private(set) var count: Int
        /// The fixed nadir, once the warm-up is over.
        public private(set) var nadir: [Double]?

        public init(warmUpEpochs: Int, taskCount: Int) {
            self.warmUpEpochs = warmUpEpochs
            sums = [Double](repeating: 0, count: taskCount)
            count = 0
            nadir = nil
        }

        /// A schedule restored from its parts (checkpoints).
        /// - Throws: `.lengthMismatch` when the nadir's length differs from the sums'.
        public init(warmUpEpochs: Int, sums: [Double], count: Int, nadir: [Double]?) throws {
            if let nadir { try MathValidation.length(nadir, sums.count, argument: "nadir", function: "NadirSchedule(restoring:)") }
            self.warmUpEpochs = warmUpEpochs
            self.sums = sums
            self.count = count
            self.nadir = nadir
        }

        /// The weights of one batch in epoch `epoch` (0-based), updating the state as the reference
        /// does: epochs `< warmUpEpochs` use the warm-up loss; epoch `== warmUpEpochs` uses it too and
        /// accumulates the batch losses; from the first step of a later epoch the mean of those is
        /// the nadir, fixed for the rest of training. `warmUpEpochs = 0` accumulates in epoch 0.
        /// - Throws: `.lengthMismatch` / `.invalidArgument` (as the loss functions); `.noSolution`
        ///   when the nadir epoch was skipped (no batch accumulated).
        public mutating func weights(losses: [Double], epoch: Int, smoothing mu: Double) throws -> (value: Double, weights: [Double]) {
            let function = "SmoothTchebycheffScalarisation.NadirSchedule.weights"
            try MathValidation.length(losses, sums.count, argument: "losses", function: function)
            if epoch <= warmUpEpochs && nadir == nil {
                let result = try SmoothTchebycheffScalarisation.warmUp(losses: losses)
                if epoch == warmUpEpochs {
                    for k in sums.indices { sums[k] += losses[k] }
                    count += 1
                }
                return result
            }
            if nadir == nil {
                guard count > 0 else {
                    throw StrategyMathError.noSolution(function: function,
                                                       reason: "no batch was seen in epoch \(warmUpEpochs), where STCH accumulates its nadir")
                }
                nadir = sums.map { $0 / Double(count) }
            }
            return try SmoothTchebycheffScalarisation.nadirNormalised(losses: losses, nadir: nadir!, smoothing: mu)
        }
    }
}
