import Tandem

/// Auxiliary lookahead gate: an auxiliary task's gradient joins the primary tasks' only when a
/// step along it alone — simulated with the real optimiser, its state untouched — lowers the
/// primary loss on the same batch by more than a margin m:
///     d = Σ_p g_p + Σ_a [L_P(θ_s + step(g_a)) < (1 − m) L_P(θ_s)] · g_a
/// A meta strategy written as a full `GradientCombiner`, without an adaptor: it declares lookahead
/// forward passes besides the per-task gradients at θ_s, and keeps each auxiliary task's count of
/// admissions as checkpointed state (its admission rate is reported every step).
final class AuxiliaryLookaheadGate: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    static let description = StrategyDescription(
        name: "auxiliary-lookahead-gate", title: "Auxiliary lookahead gate (an example from a downstream package)",
        formula: "d = Σ_p g_p + Σ_a [L_P(θ_s + step(g_a)) < (1 − m) L_P(θ_s)] g_a",
        paper: "none: an illustration of a meta strategy as a full GradientCombiner",
        options: [OptionSpec("margin", .number(0...1), default: .number(0),
                             "the fraction m by which a lookahead along g_a must lower the primary loss for task a to be admitted")],
        cost: "T encoder backwards and one extra forward pass per auxiliary task",
        behaviour: StrategyBehaviour(scaling: .unspecified, roles: .onePrimary))

    let margin: Float
    /// Steps on which each auxiliary task was admitted, since the run started.
    var admissions: [String: Double] = [:]

    var decoder: any DecoderStage { self }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements { [.sharedParameterGradients, .extraForwardPasses] }

    init(options: Options, context: StrategyBuildContext) throws {
        guard context.tasks.contains(where: { $0.role == .primary }) else {
            throw OptionError("auxiliary-lookahead-gate needs at least one task with role: primary")
        }
        margin = options.float("margin")!
    }

    /// Heads train on their own losses, unweighted.
    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let gradients = try context.sharedParameterGradients()
        let primary = context.primaryTasks.filter { gradients[$0] != nil }
        guard let first = primary.first else {
            throw StrategyContractError(strategy: name, problem: "a step without a primary task's loss")
        }
        let primaryLoss = primary.reduce(Float(0)) { $0 + context.losses[$1]! }
        var direction = primary.dropFirst().reduce(gradients[first]!) { $0 + gradients[$1]! }
        for task in context.auxiliaryTasks where gradients[task] != nil {
            let lookahead = context.simulatedStep(gradients: gradients[task]!)
            let after = try Tape.withoutRecording { try context.losses(at: lookahead) }
            let primaryAfter = primary.reduce(Float(0)) { $0 + after[$1]!.scalar }
            let admitted = primaryAfter < (1 - margin) * primaryLoss
            if admitted {
                direction = direction + gradients[task]!
                admissions[task, default: 0] += 1
            }
            context.report("gate.\(task)", admitted ? 1 : 0)
            context.report("admission_rate.\(task)", admissions[task, default: 0] / Double(context.step + 1))
        }
        return .sharedParameters(direction)
    }

    func saveState() -> StrategyState { StrategyState(numbers: admissions.mapValues { [$0] }) }

    func restoreState(_ state: StrategyState) throws {
        admissions = try Dictionary(uniqueKeysWithValues: state.numbers.keys.map { ($0, try state.numbers($0, count: 1)[0]) })
    }
}
