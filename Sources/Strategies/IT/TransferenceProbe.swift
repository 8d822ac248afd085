import TandemCore

/// Measures inter-task transference during any run (Fifty et al. 2020/21, Fig. 1–2; TAG, Fifty et
/// al., NeurIPS 2021), STRATEGIES.md §10, without changing the training: every `every` steps, for
/// each labelled task i, the shared parameters take the real optimiser's step on g_i = ∇_{θ_s} L_i
/// alone (state read, never written; heads unchanged, as in TAG) and
/// `Z_{i→j} = 1 − L_j(X; θ_s^{+|i}) / L_j(X; θ_s)` is reported for every task j on the same batch
/// as `affinity.i→j` — divided by the shared learning rate when `perLearningRate` (TAG's
/// affinity). The per-task gradients come from a separate forward pass at the step's parameters,
/// so the wrapped strategy's step is exactly what it would be without the probe; batch-norm
/// statistics are untouched. Cost every `every` steps: T + 1 forward passes and T backwards.
public final class TransferenceProbe: GradientCombiner, WrappingEncoderStage {
    public let inner: any GradientCombiner
    public let every: Int
    public let perLearningRate: Bool
    public var name: String { inner.name }
    public var decoder: any DecoderStage { inner.decoder }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { inner.declaredRequirements.union(.extraForwardPasses) }

    public init(inner: any GradientCombiner, every: Int = 10, perLearningRate: Bool = false) {
        precondition(every >= 1, "TransferenceProbe: every must be at least 1")
        self.inner = inner
        self.every = every
        self.perLearningRate = perLearningRate
    }

    /// The report key of Z_{source→target}.
    public static func key(source: String, target: String) -> String { "affinity.\(source)→\(target)" }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        if context.step % every == 0 { try measure(context) }
        return try inner.encoder.encoderGradient(context)
    }

    /// Z_{i→j} for every pair of labelled tasks (row i = the task whose gradient is applied).
    public func affinities(_ context: StepContext) throws -> [[Double]] {
        let names = context.taskNames
        let tracked = context.parameters.shared.tracked()
        let losses = try context.losses(at: tracked)
        let before = names.map { Double(losses[$0]!.scalar) }
        let rate = Double(context.learningRates["shared"] ?? 0)
        var rows: [[Double]] = []
        for source in names {
            let gradient = grad(of: losses[source]!, wrt: tracked, retainGraph: true)
            let stepped = context.simulatedStep(gradients: gradient)
            let after = try Tape.withoutRecording { try context.losses(at: stepped) }
            let lossesAfter = names.map { Double(after[$0]!.scalar) }
            rows.append(perLearningRate
                ? try TransferenceScore.affinity(lossesBefore: before, lossesAfter: lossesAfter, learningRate: rate)
                : try TransferenceScore.transference(lossesBefore: before, lossesAfter: lossesAfter))
        }
        return rows
    }

    func measure(_ context: StepContext) throws {
        let names = context.taskNames
        let rows = try affinities(context)
        for (i, source) in names.enumerated() {
            for (j, target) in names.enumerated() { context.report(TransferenceProbe.key(source: source, target: target), rows[i][j]) }
        }
    }
}
