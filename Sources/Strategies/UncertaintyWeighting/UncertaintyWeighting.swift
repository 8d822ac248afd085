import Foundation
import TandemCore

/// Uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): learn a log-variance s_t = log σ_t²
/// per task with the network and minimise Σ_t ℓ_t, STRATEGIES.md §2:
/// * `libmtl` (default; LibMTL and Auto-λ): ℓ = ½e^{−s}L + ½s for every task, s₀ = −0.5;
/// * `kendall`: the paper's per-kind forms, regression ½e^{−s}L + ½s and classification /
///   segmentation e^{−s}L + ½s;
/// * `simplified`: e^{−s}L + s (common in other repositories);
/// * `tag`: u = log σ clipped to [0.01, 10], L·e^{−2u} + u, u₀ = 1 (TAG reference).
/// The encoder receives Σ_t w_t L_t with the same weights w_t = ∂ℓ_t/∂L_t as the heads.
public final class UncertaintyWeighting: GradientCombiner, DecoderStage, EncoderStage {
    public enum Variant: String, CaseIterable, Sendable {
        case libmtl, kendall, simplified, tag

        public var defaultInitialValue: Float { self == .tag ? 1 : -0.5 }
    }

    public let name: String
    public let variant: Variant
    public let taskKinds: [String: TaskKind]
    public var ownParameters: Parameters
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { .losses }

    /// - Parameters:
    ///   - tasks: the tasks, in order; one log-variance each (`strategy.logVariance.TASK`).
    ///   - initialValue: s₀ (u₀ for `tag`); nil takes the variant's default.
    public init(tasks: [TaskSpec], variant: Variant = .libmtl, initialValue: Float? = nil, name: String = "uw") {
        self.name = name
        self.variant = variant
        taskKinds = Dictionary(uniqueKeysWithValues: tasks.map { ($0.name, $0.kind) })
        let start = initialValue ?? variant.defaultInitialValue
        ownParameters = Parameters(tasks.map { ("logVariance.\($0.name)", Tensor(shape: [1], scalars: [start])) })
    }

    /// ℓ_t(L, s) for one task.
    public func term(loss: Tensor, logVariance s: Tensor, kind: TaskKind?) -> Tensor {
        switch variant {
        case .libmtl:
            return loss * exp(-s) * 0.5 + s * 0.5
        case .kendall:
            switch kind {
            case .classification?, .segmentation?: return loss * exp(-s) + s * 0.5
            default: return loss * exp(-s) * 0.5 + s * 0.5
            }
        case .simplified:
            return loss * exp(-s) + s
        case .tag:
            let u = s.clamped(minimum: 0.01, maximum: 10)
            return loss * exp(u * -2) + u
        }
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        context.taskNames.map { name in
            term(loss: losses[name]!, logVariance: ownParameters["logVariance.\(name)"].reshaped([]), kind: taskKinds[name])
        }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        .lossWeights(context.decoderWeights)
    }
}
