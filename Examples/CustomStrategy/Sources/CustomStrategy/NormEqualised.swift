import Tandem

/// A strategy written outside Tandem: every task's gradient at the representation is rescaled to
/// the mean norm of all of them before summing,
///     ∇_z = Σ_t (n̄ / ‖h_t‖) · h_t,   n̄ = mean_t ‖h_t‖,
/// so no task dominates the shared encoder by gradient magnitude alone. Heads train on plain
/// equal-weighted losses. Written on the `GradientAggregator` adaptor, exactly like the
/// built-in strategies.
final class NormEqualised: GradientAggregator, RegisteredStrategy {
    static let description = StrategyDescription(
        name: "norm-equalised", title: "Norm-equalised sum (an example from a downstream package)",
        formula: "∇_z = Σ_t (n̄/‖h_t‖) h_t, n̄ = mean_t ‖h_t‖",
        paper: "none: an illustration of a strategy as a module",
        options: [OptionSpec("epsilon", .number(0...1), default: .number(1e-8), "added to each norm")],
        cost: "T head backwards and one encoder backward")

    let epsilon: Float
    var level: GradientLevel { .representation }

    init(options: Options, context: StrategyBuildContext) throws { epsilon = options.float("epsilon")! }

    func aggregate(_ gradients: TaskGradients, context: StepContext) throws -> [Tensor] {
        let gram = gradients.gram()
        let norms = gram.indices.map { Float(gram[$0][$0].squareRoot()) }
        let mean = norms.reduce(0, +) / Float(norms.count)
        let scales = norms.map { mean / ($0 + epsilon) }
        for (name, scale) in zip(gradients.taskNames, scales) { context.report("scale.\(name)", Double(scale)) }
        return gradients.combine(scales.map(Double.init))
    }
}
