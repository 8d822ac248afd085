import Tandem
import TandemCore

/// A strategy written outside Tandem: every task's gradient at the representation is rescaled to
/// the mean norm of all of them before summing,
///     ∇_z = Σ_t (n̄ / ‖h_t‖) · h_t,   n̄ = mean_t ‖h_t‖,
/// so no task dominates the shared encoder by gradient magnitude alone. Heads train on plain
/// equal-weighted losses.
final class NormEqualised: GradientCombiner, DecoderStage, EncoderStage {
    let name = "norm-equalised"
    var ownParameters = Parameters()
    var decoder: any DecoderStage { self }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements { .representationGradients }
    let epsilon: Float

    init(epsilon: Float) { self.epsilon = epsilon }

    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let gradients = context.representationGradients()
        let norms = context.taskNames.map { gradients[$0]!.norm().scalar }
        let mean = norms.reduce(0, +) / Float(norms.count)
        var combined = Tensor.zeros(context.representation.shape)
        for (name, norm) in zip(context.taskNames, norms) {
            combined = combined + gradients[name]! * (mean / (norm + epsilon))
            context.report("scale.\(name)", Double(mean / (norm + epsilon)))
        }
        return .representation(combined)
    }
}

extension Registry {
    /// Tandem's registry plus this package's strategy.
    static var withNormEqualised: Registry {
        var registry = Registry.standard
        registry.register(StrategyEntry(description: ComponentDescription(
            name: "norm-equalised", kind: .strategy,
            summary: "Rescale each task's gradient at z to the mean norm, then sum (an example strategy from a downstream package).",
            options: [OptionSpec("epsilon", .number(0...1), default: .number(1e-8), "added to each norm")])) { options, _ in
            NormEqualised(epsilon: options.float("epsilon")!)
        })
        return registry
    }
}
