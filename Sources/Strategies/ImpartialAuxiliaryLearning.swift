import Foundation
import TandemCore

/// IAL — Impartial Auxiliary Learning (Li, Feng, Wang, Yang & Zuo, 2024, arXiv 2412.19547), §12.
///
/// Decoder stage: every task t has s_t = log σ_t²; heads and σ minimise Σ_t ½e^{−s_t}L_t + ½s_t
/// (uncertainty weighting, so all heads train impartially). Encoder stage at z:
///     ∇_z = h_pri + Σ_{t∈aux} f(σ_t)·(‖h_pri‖/‖h_t‖)·h_t,   f(x) = min(1, g(1 − x)),
/// σ_t detached, h_pri the sum of the primary tasks' gradients (weight 1). The paper names g only
/// by its range; choices: `linear` g(y) = max(0, y) (default), `scaled` max(0, κy), `exponential`
/// max(0, e^y − 1). σ means the standard deviation e^{s/2} (default), the variance e^s, or s itself.
/// Ablations: `uncertainty-only` (plain uncertainty weighting) and `norm-only` (equal-weight
/// decoder, aux gradients aligned to the primary's norm with a fixed weight, 0.1 by default).
public final class ImpartialAuxiliaryLearning: GradientCombiner, DecoderStage, EncoderStage {
    public enum Shape: String, CaseIterable, Sendable { case linear, scaled, exponential }
    public enum SigmaMeaning: String, CaseIterable, Sendable { case deviation, variance, logVariance = "log-variance" }
    public enum Mode: String, CaseIterable, Sendable { case both, uncertaintyOnly = "uncertainty-only", normOnly = "norm-only" }

    public let name = "ial"
    public let shape: Shape
    public let kappa: Float
    public let sigmaMeaning: SigmaMeaning
    public let mode: Mode
    public let fixedAuxiliaryWeight: Float
    public let roles: [String: TaskRole]
    public var ownParameters: Parameters
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { mode == .uncertaintyOnly ? .losses : .representationGradients }

    public init(tasks: [TaskSpec], shape: Shape = .linear, kappa: Float = 2, sigmaMeaning: SigmaMeaning = .deviation,
                mode: Mode = .both, fixedAuxiliaryWeight: Float = 0.1, initialLogVariance: Float = -0.5) {
        self.shape = shape
        self.kappa = kappa
        self.sigmaMeaning = sigmaMeaning
        self.mode = mode
        self.fixedAuxiliaryWeight = fixedAuxiliaryWeight
        roles = Dictionary(uniqueKeysWithValues: tasks.map { ($0.name, $0.role) })
        ownParameters = mode == .normOnly ? Parameters()
            : Parameters(tasks.map { ("logVariance.\($0.name)", Tensor(shape: [1], scalars: [initialLogVariance])) })
    }

    /// f(x) = min(1, g(1 − x)).
    public func weight(sigma: Float) -> Float {
        let y = 1 - sigma
        let g: Float
        switch shape {
        case .linear: g = max(0, y)
        case .scaled: g = max(0, kappa * y)
        case .exponential: g = max(0, Foundation.exp(y) - 1)
        }
        return min(1, g)
    }

    public func sigma(logVariance s: Float) -> Float {
        switch sigmaMeaning {
        case .deviation: return Foundation.exp(s / 2)
        case .variance: return Foundation.exp(s)
        case .logVariance: return s
        }
    }

    /// ∇_z from the primary gradient, the auxiliary gradients and their aux weights (pure; §12 vectors).
    public static func combine(primary: [Float], auxiliary: [[Float]], weights: [Float]) -> [Float] {
        var result = primary
        let primaryNorm = VectorMath.norm(primary)
        for (h, w) in zip(auxiliary, weights) {
            let n = VectorMath.norm(h)
            if n > 0 && w != 0 { VectorMath.addScaled(&result, h, w * primaryNorm / n) }
        }
        return result
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        if mode == .normOnly { return context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +) }
        return context.taskNames.map { name in
            let s = ownParameters["logVariance.\(name)"].reshaped([])
            return losses[name]! * exp(-s) * 0.5 + s * 0.5
        }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        if mode == .uncertaintyOnly { return .lossWeights(context.decoderWeights) }
        let names = context.taskNames
        let h = context.representationGradients()
        let shape = h[names[0]]!.shape
        let primaries = names.filter { roles[$0] != .auxiliary }
        let auxiliaries = names.filter { roles[$0] == .auxiliary }
        var primary = [Float](repeating: 0, count: h[names[0]]!.count)
        for name in primaries { VectorMath.addScaled(&primary, h[name]!.scalars, 1) }
        let weights = auxiliaries.map { name -> Float in
            let w = mode == .normOnly ? fixedAuxiliaryWeight
                : weight(sigma: sigma(logVariance: ownParameters["logVariance.\(name)"].scalar))
            context.report("auxiliaryWeight.\(name)", Double(w))
            return w
        }
        let combined = ImpartialAuxiliaryLearning.combine(primary: primary, auxiliary: auxiliaries.map { h[$0]!.scalars }, weights: weights)
        return .representation(Tensor(shape: shape, scalars: combined))
    }
}
