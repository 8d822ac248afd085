import TandemCore

/// GCS — auxiliary gradients gated by their cosine with the main gradient (Du, Czarnecki,
/// Jayakumar, Farajtabar, Pascanu & Lakshminarayanan, 2018).
///
/// With g_main the (summed) primary gradient and cos_k = g_main·g_aux,k / (‖g_main‖‖g_aux,k‖):
/// weighted d = g_main + Σ_k max(0, cos_k)·g_aux,k; hard d = g_main + Σ_k 1[cos_k ≥ 0]·g_aux,k.
/// Heads get their own gradients. The cosine is taken over all shared parameters, or per layer
/// (per shared tensor) as an option.
public final class GradientCosineSimilarity: GradientAggregator, RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "gcs", title: "Gradient cosine similarity (GCS)",
        formula: "d = g_main + Σ_k max(0, cos(g_main, g_aux,k))·g_aux,k  (hard: 1[cos ≥ 0])",
        paper: "Du, Czarnecki, Jayakumar, Farajtabar, Pascanu & Lakshminarayanan, \"Adapting Auxiliary Losses Using Gradient Similarity\", arXiv 1812.02224 (2018)",
        options: [
            OptionSpec("gate", .choice(GradientCosineGate.Mode.allCases.map(\.rawValue)), default: .text("weighted"),
                       "weighted: max(0, cos) (the paper's weighted variant); hard: 1[cos ≥ 0] (its unweighted variant)"),
            OptionSpec("per_layer", .boolean, default: .boolean(false), "take the cosine per shared tensor instead of over all shared parameters"),
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("parameters"),
                       "parameters: the shared parameters (the paper); representation: at z (cheaper, not equivalent)"),
        ],
        cost: "1 + K encoder backwards (K auxiliary tasks) and K + 1 inner products",
        conventions: ["several primary tasks are summed into g_main",
                      "a batch without primary labels (k-alternation's auxiliary-only steps) gets the plain sum of the auxiliary gradients",
                      "a zero gradient has cosine 0 (the weighted gate drops it, the hard gate keeps it)"],
        behaviour: StrategyBehaviour(roles: .onePrimary))

    public let gate: GradientCosineGate.Mode
    public let perLayer: Bool
    public let level: GradientLevel

    public init(gate: GradientCosineGate.Mode = .weighted, perLayer: Bool = false, level: GradientLevel = .parameters) {
        self.gate = gate
        self.perLayer = perLayer
        self.level = level
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(gate: GradientCosineGate.Mode(rawValue: options.text("gate")!)!, perLayer: options.boolean("per_layer")!,
                  level: GradientLevel(rawValue: options.text("level")!)!)
    }

    public func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let primary = Set(context.primaryTasks)
        let mainRows = gradients.taskNames.map { primary.contains($0) ? 1.0 : 0 }
        let auxiliary = gradients.taskNames.indices.filter { !primary.contains(gradients.taskNames[$0]) }
        guard mainRows.contains(1), !auxiliary.isEmpty else { return gradients.combine(gradients.taskNames.map { _ in 1 }) }
        let main = gradients.combine(mainRows)
        let gated = TaskGradients(taskNames: ["main"] + auxiliary.map { gradients.taskNames[$0] }, tensorNames: gradients.tensorNames,
                                  rows: [main] + auxiliary.map { gradients.rows[$0] })
        guard perLayer else {
            let weights = try GradientCosineGate.directionWeights(gram: gated.gram(), mode: gate)
            for (index, k) in auxiliary.enumerated() { context.report("gate.\(gradients.taskNames[k])", weights[index + 1]) }
            return gated.combine(weights)
        }
        return try gated.tensorNames.indices.map { k in
            let layer = TaskGradients(taskNames: gated.taskNames, tensorNames: [gated.tensorNames[k]], rows: gated.rows.map { [$0[k]] })
            return layer.combine(try GradientCosineGate.directionWeights(gram: layer.gram(), mode: gate))[0]
        }
    }
}
