import TandemCore

/// ConFIG, conflict-free inverse gradients (Liu, Chen & Thuerey, "ConFIG: Towards Conflict-free
/// Training of Physics Informed Neural Networks", ICLR 2025, Eq. 2; TorchJD `ConFIG`): the
/// direction whose cosine with every task gradient is equal (p-weighted), `d̂ ∝ U⁺ p` with the unit
/// gradients u_t = g_t/‖g_t‖ as the rows of U, scaled to the projection length
/// `‖d‖ = Σ_t g_t·d̂`. In Gram form (`ConFIGWeights`) it is a weighting of the task gradients.
/// Heads get their own gradients.
public final class ConFIG: GramianWeighting, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "config", title: "ConFIG (conflict-free inverse gradients)",
        formula: "d = (Σ_t g_t·d̂) d̂, d̂ = U⁺p/‖U⁺p‖, U = [g_t/‖g_t‖]_t; w = (Σ_s g_s·d̂) K⁺p ⊘ (‖U⁺p‖ ‖g_t‖), K = UUᵀ",
        paper: "Liu, Chen & Thuerey, \"ConFIG: Towards Conflict-free Training of Physics Informed Neural Networks\", ICLR 2025 (arXiv 2408.11104)",
        options: [
            OptionSpec("preference_weights", .list(.number(0...1e6)), default: nil,
                       "p, one non-negative number per task in the recipe's task order (TorchJD's pref_vector); unset: p_t = 1 (TorchJD's default)"),
        ],
        cost: "T encoder backwards + an eigendecomposition of the T×T Gram matrix",
        conventions: ["the pseudo-inverse is taken of K = UUᵀ (U⁺ = Uᵀ K⁺); eigenvalues below 1e-12 λ_max of K count as zero (rank-deficient gradients)",
                      "a zero task gradient has a zero unit row, as TorchJD's nan_to_num",
                      "d̂ = U⁺p / max(‖U⁺p‖, 1e-12), as torch.nn.functional.normalize",
                      "heads get their plain ∇L_t (TorchJD)"],
        behaviour: StrategyBehaviour())

    public let preference: [String: Double]?
    public var level: GradientLevel { .parameters }
    public var headWeighting: HeadWeighting { .unit }
    public let weightCache = WeightCache()

    public init(preference: [String: Double]? = nil) { self.preference = preference }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(preference: try PreferenceWeights.read(options, context: context, owner: "config"))
    }

    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let p = try context.taskNames.map { name -> Double in
            guard let preference else { return 1 }
            guard let value = preference[name] else {
                throw OptionError("config.preference_weights has no weight for task '\(name)'")
            }
            return value
        }
        return try ConFIGWeights.weights(gram: gram, preference: p)
    }
}
