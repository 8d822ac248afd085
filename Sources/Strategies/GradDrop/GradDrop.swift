import TandemCore

/// GradDrop — gradient sign dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov,
/// "Just Pick a Sign", NeurIPS 2020), STRATEGIES.md §13e: per feature, the sign purity
/// `P = ½(1 + Σ_t S_t/Σ_t|S_t|)` of the signed task gradients decides, against a uniform draw U,
/// which sign survives; every task keeps only its gradient of that sign (`GradDropCombination`).
/// Heads get their own gradients.
public final class GradDrop: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "graddrop", title: "GradDrop (gradient sign dropout)",
        formula: "S_t = Σ_b sign(A_b)⊙h_{t,b}, P = ½(1 + ΣS_t/Σ|S_t|), m_t = 1[P>U]1[S_t>0] + 1[P<U]1[S_t<0], h = Σ_t (ℓ + (1−ℓ)m_t)⊙h_t",
        paper: "Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov, \"Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout\", NeurIPS 2020",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("representation"),
                       "representation: at z with the sign of z (the paper, LibMTL); parameters: on θ_s's rows directly (TorchJD)"),
            OptionSpec("leak", .number(0...1), default: .number(0), "leak ℓ: the fraction of every dropped gradient kept (LibMTL 0)"),
        ],
        cost: "T head backwards and one encoder backward (representation level), O(T·|z|)",
        conventions: ["at z, A is the representation itself (LibMTL's rep-grad GradDrop); sums S_t run over the batch axis",
                      "an activation of exactly 0 counts as positive (LibMTL's torch.sign gives 0 and drops that feature for every task); the two agree whenever no activation is 0, and after a ReLU the gradient at a zero activation never reaches the encoder anyway",
                      "at the parameters (TorchJD), A = 1 and one 'sample'", "one seeded U per feature per step; the generator is checkpointed",
                      "the purity denominator has LibMTL's +1e-7"],
        behaviour: StrategyBehaviour(orderInvariant: false, isRandomised: true))

    public let level: GradientLevel
    public let leak: Double
    public private(set) var generator: SeededGenerator

    public init(level: GradientLevel = .representation, leak: Double = 0, seed: UInt64 = 0) {
        self.level = level
        self.leak = leak
        generator = SeededGenerator(seed: seed)
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!, leak: options.number("leak")!, seed: context.seed)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let rows = gradients.flattenedRows()
        let width = rows[0].count
        let activations: [Float], features: Int
        switch level {
        case .representation:
            let z = context.representation
            // A zero activation counts as positive (see the conventions).
            activations = z.scalars.map { $0 == 0 ? 1 : $0 }
            features = z.shape.isEmpty || z.shape[0] == 0 ? width : width / z.shape[0]
        case .parameters:
            activations = [Float](repeating: 1, count: width)
            features = width
        }
        let thresholds = GradDropCombination.randomThresholds(featureCount: features, using: &generator)
        let result = try GradDropCombination.combine(taskGradients: rows, activations: activations, featureCount: features,
                                                     thresholds: thresholds, leak: leak)
        return gradients.tensors(fromFlat: result.combined)
    }

    public func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    public func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}
