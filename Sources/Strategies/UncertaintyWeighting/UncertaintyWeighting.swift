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
public final class UncertaintyWeighting: LossScalarisation, RegisteredStrategy {
    public enum Variant: String, CaseIterable, Sendable {
        case libmtl, kendall, simplified, tag

        public var defaultInitialValue: Float { self == .tag ? 1 : -0.5 }
    }

    public static let description = StrategyDescription(
        name: "uw", title: "Uncertainty weighting",
        formula: "learn s_t = log σ_t² per task; minimise Σ_t ½e^{−s_t} L_t + ½ s_t (libmtl form)",
        paper: "Kendall, Gal & Cipolla, \"Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics\", CVPR 2018",
        options: [
            OptionSpec("variant", .choice(Variant.allCases.map(\.rawValue)), default: .text("libmtl"),
                       "libmtl: ½e^{−s}L + ½s for all tasks; kendall: classification tasks use e^{−s}L + ½s; simplified: e^{−s}L + s; tag: u = log σ clipped, L e^{−2u} + u"),
            OptionSpec("initial", .number(-10...10), default: nil,
                       "initial s₀ (u₀ for tag); default −0.5 (libmtl, kendall, simplified) or 1 (tag)"),
        ],
        cost: "as EW (the log-variances train with the strategy optimiser group)",
        conventions: ["default form: LibMTL's regression form for every task, s₀ = −0.5 (Auto-λ uses −0.7)"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let variant: Variant
    public let taskKinds: [String: TaskKind]
    public var ownParameters: Parameters

    /// - Parameters:
    ///   - tasks: the tasks, in order; one log-variance each (`strategy.logVariance.TASK`).
    ///   - initialValue: s₀ (u₀ for `tag`); nil takes the variant's default.
    public init(tasks: [TaskSpec], variant: Variant = .libmtl, initialValue: Float? = nil) {
        self.variant = variant
        taskKinds = Dictionary(uniqueKeysWithValues: tasks.map { ($0.name, $0.kind) })
        let start = initialValue ?? variant.defaultInitialValue
        ownParameters = Parameters(tasks.map { ("logVariance.\($0.name)", Tensor(shape: [1], scalars: [start])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, variant: Variant(rawValue: options.text("variant")!)!, initialValue: options.float("initial"))
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

    public func scalarisedLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        for name in context.taskNames { context.report("logVariance.\(name)", Double(ownParameters["logVariance.\(name)"].scalar)) }
        return context.taskNames.map { name in
            term(loss: losses[name]!, logVariance: ownParameters["logVariance.\(name)"].reshaped([]), kind: taskKinds[name])
        }.reduce(Tensor(0), +)
    }
}
