import TandemCore

/// Equal weighting ("plain MTL"): L = Σ_t w_t L_t with w_t = 1 (`sum`, LibMTL / Auto-λ "equal")
/// or w_t = 1/T (`mean`). One backward pass; heads get w_t ∇_{θ_t} L_t.
public final class EqualWeighting: LossWeighting, RegisteredStrategy {
    public enum Reduction: String, CaseIterable, Sendable { case sum, mean }

    public static let description = StrategyDescription(
        name: "ew", title: "Equal weighting (plain MTL)",
        formula: "L = Σ_t w_t L_t, w_t = 1 (sum) or 1/T (mean)",
        paper: "the multi-task baseline; LibMTL `EW`, Auto-λ `equal`",
        options: [OptionSpec("reduction", .choice(Reduction.allCases.map(\.rawValue)), default: .text("sum"),
                             "sum: w_t = 1 (LibMTL, Auto-λ); mean: w_t = 1/T")],
        cost: "one forward and one backward pass (the reference cost of every other strategy)")

    public let reduction: Reduction

    public init(reduction: Reduction = .sum) { self.reduction = reduction }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(reduction: Reduction(rawValue: options.text("reduction")!)!)
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let w: Float = reduction == .sum ? 1 : 1 / Float(context.taskNames.count)
        return Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, w) })
    }
}
