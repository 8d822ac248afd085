import TandemCore

/// Equal weighting ("plain MTL"): L_tot = Σ_t w_t L_t with w_t = 1 (`sum`, LibMTL / Auto-λ "equal")
/// or w_t = 1/T (`mean`). One backward pass; heads get w_t ∇_{θ_t} L_t. STRATEGIES.md §1.
public final class EqualWeighting: GradientCombiner, DecoderStage, EncoderStage {
    public enum Reduction: String, CaseIterable, Sendable { case sum, mean }

    public let name = "ew"
    public let reduction: Reduction
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { .losses }

    public init(reduction: Reduction = .sum) { self.reduction = reduction }

    func weight(taskCount: Int) -> Float { reduction == .sum ? 1 : 1 / Float(taskCount) }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        let w = weight(taskCount: losses.count)
        return context.taskNames.map { losses[$0]! * w }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let w = weight(taskCount: context.taskNames.count)
        return .lossWeights(Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, w) }))
    }
}
