import Foundation

/// The encoder stage of IAL — Impartial Auxiliary Learning (Li, Feng, Wang, Yang & Zuo,
/// "Unprejudiced Training Auxiliary Tasks Makes Primary Better", arXiv 2412.19547, 2024),
/// STRATEGIES.md §12.
///
/// At the shared representation: `∇_z = w_pri·h_pri + Σ_{t∈aux} f(x_t)·(‖h_pri‖/‖h_t‖)·h_t`, with
/// `f(x) = min(1, g(1 − x))`, x_t the (detached) uncertainty of auxiliary task t, and g
/// non-decreasing with g(y) = 0 for y ≤ 0. The paper names g only by its range, so g, the meaning
/// of x, the norm scope and the primary weight are options; the defaults are g = max(0, y),
/// x = σ = e^{s/2} (absolute), norms over the whole batch tensor, w_pri = 1.
public enum ImpartialAuxiliaryGradient {
    /// The function g in f(x) = min(1, g(1 − x)).
    public enum Gate: Equatable, Sendable {
        /// g(y) = max(0, y) ⇒ f = clip(1 − x, 0, 1). **The default.**
        case rectified
        /// g(y) = max(0, κy) (κ = 2: full weight once x ≤ ½).
        case scaledRectified(slope: Double)
        /// g(y) = max(0, e^{y} − 1).
        case exponential

        /// f(x) = min(1, g(1 − x)).
        public func weight(uncertainty x: Double) -> Double {
            let y = 1 - x
            let g: Double
            switch self {
            case .rectified: g = max(0, y)
            case let .scaledRectified(slope): g = max(0, slope * y)
            case .exponential: g = max(0, exp(y) - 1)
            }
            return min(1, g)
        }
    }

    /// What x is, given the learned log-variance s = log σ² (§12 ambiguity (i)).
    public enum UncertaintyScale: String, CaseIterable, Sendable {
        /// x = σ = e^{s/2}. **The default.**
        case standardDeviation
        /// x = σ² = e^{s}.
        case variance
        /// x = s itself.
        case logVariance
    }

    /// Absolute or scale-free x (§12 ambiguity (ii)).
    public enum UncertaintyReference: String, CaseIterable, Sendable {
        /// x as is. **The default** (note: at the UW stationary point σ² ≈ L, so this depends on
        /// the loss scale).
        case absolute
        /// x_t / x_primary (for `logVariance`: s_t − s_primary).
        case relativeToPrimary
        /// x_t / x_t(0), relative to the task's initial value (for `logVariance`: s_t − s_t(0)).
        case relativeToInitial
    }

    /// Whether the norm ratio is taken over the whole batch tensor or per sample (§12 (iii)).
    public enum NormScope: Equatable, Sendable {
        /// ‖·‖ over the whole tensor. **The default.**
        case wholeBatch
        /// Per sample: each of the `batchSize` equal slices is rescaled to the primary's slice norm.
        case perSample(batchSize: Int)
    }

    /// The combined gradient and its ingredients.
    public struct Result: Equatable, Sendable {
        /// ∇_z (same layout as the inputs).
        public var combined: [Float]
        /// f(x_t) per auxiliary task.
        public var gateWeights: [Double]
        /// ‖h_pri‖/‖h_t‖ per auxiliary task over the whole tensor (0 when h_t = 0).
        public var normRatios: [Double]
    }

    /// x for one auxiliary task from log-variances.
    /// - Parameters:
    ///   - logVariance: s_t.
    ///   - primaryLogVariance: s_pri (needed for `.relativeToPrimary`).
    ///   - initialLogVariance: s_t(0) (needed for `.relativeToInitial`).
    public static func uncertainty(logVariance s: Double, scale: UncertaintyScale = .standardDeviation,
                                   reference: UncertaintyReference = .absolute,
                                   primaryLogVariance: Double? = nil, initialLogVariance: Double? = nil) throws -> Double {
        func value(_ s: Double) -> Double {
            switch scale {
            case .standardDeviation: return exp(s / 2)
            case .variance: return exp(s)
            case .logVariance: return s
            }
        }
        let base: Double?
        switch reference {
        case .absolute: return value(s)
        case .relativeToPrimary: base = primaryLogVariance
        case .relativeToInitial: base = initialLogVariance
        }
        guard let base else {
            throw StrategyMathError.invalidArgument(function: "ImpartialAuxiliaryGradient.uncertainty",
                                                    reason: "reference \(reference.rawValue) needs its reference log-variance")
        }
        return scale == .logVariance ? s - base : value(s) / value(base)
    }

    /// The encoder-stage gradient.
    /// - Parameters:
    ///   - primary: h_pri.
    ///   - auxiliaries: h_t per auxiliary task (same length as h_pri).
    ///   - uncertainties: x_t per auxiliary task (see `uncertainty(logVariance:…)`).
    ///   - gate: g (default max(0, y)).
    ///   - normScope: whole tensor (default) or per sample.
    ///   - primaryWeight: w_pri (1 by default; pass ½e^{−s_pri} to scale the primary term, §12 (iv)).
    ///   - epsilon: added to ‖h_t‖ (0 by default; a zero h_t contributes nothing either way).
    /// - Throws: `.lengthMismatch` / `.invalidArgument` for inconsistent shapes.
    public static func combine(primary: [Float], auxiliaries: [[Float]], uncertainties: [Double],
                               gate: Gate = .rectified, normScope: NormScope = .wholeBatch,
                               primaryWeight: Double = 1, epsilon: Double = 0) throws -> Result {
        let function = "ImpartialAuxiliaryGradient.combine"
        try MathValidation.length(uncertainties, auxiliaries.count, argument: "uncertainties", function: function)
        for h in auxiliaries { try MathValidation.length(h, primary.count, argument: "an auxiliary gradient", function: function) }
        let slices: Int
        switch normScope {
        case .wholeBatch: slices = 1
        case let .perSample(batchSize):
            guard batchSize > 0, primary.count % batchSize == 0 else {
                throw StrategyMathError.invalidArgument(function: function,
                                                        reason: "batch size \(batchSize) does not divide the gradient length \(primary.count)")
            }
            slices = batchSize
        }
        func norm(_ x: [Float], _ range: Range<Int>) -> Double { range.reduce(0.0) { $0 + Double(x[$1]) * Double(x[$1]) }.squareRoot() }
        let width = primary.count / max(slices, 1)
        var combined = primary.map { Double($0) * primaryWeight }
        let gates = uncertainties.map { gate.weight(uncertainty: $0) }
        var ratios: [Double] = []
        let whole = 0..<primary.count
        for (h, f) in zip(auxiliaries, gates) {
            let auxiliaryNorm = norm(h, whole)
            ratios.append(auxiliaryNorm > 0 ? norm(primary, whole) / (auxiliaryNorm + epsilon) : 0)
            guard f > 0 else { continue }
            for slice in 0..<slices {
                let range = (slice * width)..<((slice + 1) * width)
                let sliceNorm = norm(h, range)
                guard sliceNorm > 0 else { continue }
                let scale = f * norm(primary, range) / (sliceNorm + epsilon)
                for k in range { combined[k] += scale * Double(h[k]) }
            }
        }
        return Result(combined: combined.map { Float($0) }, gateWeights: gates, normRatios: ratios)
    }
}
