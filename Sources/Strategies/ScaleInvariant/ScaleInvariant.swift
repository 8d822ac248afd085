import TandemCore

/// The scale-invariant / geometric-mean losses (STRATEGIES.md §13l): one scalar of the losses
/// (`ScaleInvariantLoss`), one backward, no state. The default `log-sum`, `Σ_t log L_t`, weights
/// the task gradients by `1/L_t` and is exactly invariant to per-task loss scales; LibMTL's GLS
/// `(Π_t L_t)^{1/T}` and TorchJD's geometric mean give the same direction rescaled by `GM/T`.
public final class ScaleInvariant: LossWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "scale-invariant", title: "Scale-invariant / geometric-mean loss",
        formula: "L = Σ_t log L_t (w_t = 1/L_t); gls / geometric-mean: (Π_t L_t)^{1/T} (w_t = GM/(T L_t)); log-one-plus: Σ_t log(1 + L_t)",
        paper: "Navon et al., \"Multi-Task Learning as a Bargaining Game\", ICML 2022 (the scale-invariant baseline); GLS: Chennupati et al., \"MultiNet++\", CVPR-W 2019",
        options: [
            OptionSpec("variant", .choice(ScaleInvariantLoss.Variant.allCases.map(\.rawValue)), default: .text("log-sum"),
                       "log-sum (Nash-MTL's scaleinvls), gls (LibMTL GLS), geometric-mean (TorchJD), log-one-plus (Aligned-MTL's si)"),
        ],
        cost: "as EW",
        conventions: ["gls and geometric-mean are the same value and gradient (computed as exp(mean log L)); LibMTL's GLS reports L_t/(T·ΠL) as its weights, not the effective GM/(T L_t)",
                      "log-sum, gls and geometric-mean need L_t > 0; log-one-plus L_t > −1"],
        behaviour: StrategyBehaviour())

    public let variant: ScaleInvariantLoss.Variant

    public init(variant: ScaleInvariantLoss.Variant = .logSum) { self.variant = variant }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(variant: ScaleInvariantLoss.Variant(rawValue: options.text("variant")!)!)
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let names = context.taskNames
        let w = try ScaleInvariantLoss.evaluate(losses: names.map { Double(context.losses[$0]!) }, variant: variant).weights
        return Dictionary(uniqueKeysWithValues: zip(names, w.map(Float.init)))
    }
}
