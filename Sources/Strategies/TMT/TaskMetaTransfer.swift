import TandemCore

/// TMT — task meta-transfer from limited parallel labels (STRATEGIES.md §11).
///
/// The backbone Θ ends at the bifurcation O (B×C×H×W). Every auxiliary task a has a learned
/// gradient transform φ_a, `f_φ(g) = (Λ + UUᵀ) g` over channels at every position
/// (`GradientProjection`; one shared φ on the summed auxiliary gradient as an option).
///
/// Driven by the recipe's k-alternation (`labels: {parallel_fraction, alternate_every: k}`), so
/// TMT sees exactly the batches of MTL(k), UW(k) and GCS(k):
/// * **Auxiliary step** (auxiliary-only batches from X^A): heads θ_A get ∇L_A; the backbone gets
///   only `Jᵀ Σ_a f_φa(g_A,a)`.
/// * **Meta step** (every k-th step, a batch from the parallel set X with every label): the
///   auxiliary step on this batch, `Θ⁺(φ) = Θ − α Jᵀ Σ_a f_φa(g_A,a)`, the meta loss `L_P(Θ⁺)`
///   with the heads fixed, `φ ← φ − β ∇_φ L_P(Θ⁺)` through the recipe's `strategy_optimizer`
///   group; then Θ and θ_P take the primary-loss gradient:
///   - `first-order` (default): ∇L_P at Θ⁺, i.e. Θ gets `Jᵀ f_φ(g_A) + ∇_Θ L_P(Θ⁺)` — with plain
///     SGD and α = the network's learning rate, the auxiliary step followed by a primary step at
///     the point it reached; θ_P gets ∇_{θ_P} L_P(Θ⁺);
///   - `exact`: the derivative of L_P(Θ⁺(Θ)) through Θ⁺ (second order through the encoder and
///     the auxiliary heads);
///   - `plain`: ∇L_P at Θ (simultaneous with the auxiliary step). With φ = I frozen
///     (`learn_projection: false`) this is exactly MTL with k-alternation.
///
/// A batch that carries every label (a run without k-alternation, or `tandem combine`) is a meta
/// step; recipes with TMT but no parallel set are refused before training.
///
/// ∇_φ (first-order and plain modes): `exact` backpropagates `−α⟨Jᵀ f_φ(g_A), v⟩`, v = ∇_Θ L_P(Θ⁺),
/// to φ through the core's second-order gradients (the double-VJP, u = Jv); `finite-difference`
/// gets `u ≈ (O(Θ + εv) − O(Θ − εv))/2ε`, ε = `finiteDifferenceStep`/‖v‖ (0.01/‖v‖; two encoder forwards) and uses the closed
/// form ∂/∂λ_c = −α Σ u_c g_c, ∂/∂U = −α(S + Sᵀ)U. The `exact` primary mode takes ∇_φ from its
/// own second-order backward.
///
/// Step-record reports on meta steps: `metaLoss.before` = L_P(Θ) and `metaLoss.after` = L_P(Θ⁺)
/// (the primary loss before and after the projected auxiliary step, at φ before its update), and
/// per projection KEY (auxiliary task, or `shared`) after the update: `phiDistance.KEY` =
/// ‖φ − I‖_F and `lambdaSpectrum.min/mean/max.KEY` (Λ's spectrum: its diagonal λ). Each key's part
/// before the first dot is one figure of the suite report (`ReportPlots`, strategy reports).
public final class TaskMetaTransfer: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    public enum MetaGradient: String, CaseIterable, Sendable { case exact, finiteDifference = "finite-difference" }
    public enum PrimaryGradient: String, CaseIterable, Sendable { case firstOrder = "first-order", exact, plain }
    public enum Sharing: String, CaseIterable, Sendable { case perTask = "per-task", shared }

    public static let description = StrategyDescription(
        name: "tmt", title: "TMT — task meta-transfer from limited parallel labels",
        formula: "Θ gets Jᵀ Σ_a (Λ_a + U_aU_aᵀ) g_A,a; every k-th (parallel) step φ ← φ − β∇_φ L_P(Θ − α Jᵀ f_φ(g_A)), then Θ, θ_P step on L_P at Θ⁺",
        paper: "Task meta-transfer from limited parallel labels (TMT); STRATEGIES.md §11",
        options: [
            OptionSpec("rank", .integer(0...4096), default: nil, "r, the columns of U (paper: 5…100; at most the channels C at the bifurcation); default min(5, C)"),
            OptionSpec("inner_step", .number(0...100), default: nil, "α of Θ⁺ = Θ − α Jᵀ f_φ(g_A); default the shared group's learning rate at each step"),
            OptionSpec("initial_scale", .number(0...100), default: .number(0.001), "U starts from N(0, scale²), λ from 1; 0 is refused (U would never move)"),
            OptionSpec("projection", .choice(Sharing.allCases.map(\.rawValue)), default: .text("per-task"),
                       "per-task: one φ per auxiliary task, projected gradients summed (paper, Table 3); shared: one φ on the summed auxiliary gradient"),
            OptionSpec("meta_gradient", .choice(MetaGradient.allCases.map(\.rawValue)), default: .text("exact"),
                       "∇_φ: exact (second-order autodiff, the double-VJP) or finite-difference (u = Jv from two encoder forwards)"),
            OptionSpec("primary_gradient", .choice(PrimaryGradient.allCases.map(\.rawValue)), default: .text("first-order"),
                       "Θ, θ_P on meta steps: first-order (∇L_P at Θ⁺), exact (through Θ⁺(Θ)), plain (∇L_P at Θ; with learn_projection false this is MTL(k))"),
            OptionSpec("learn_projection", .boolean, default: .boolean(true), "false: φ = I frozen (the MTL(k) ablation)"),
            OptionSpec("finite_difference_step", .number(1e-8...1), default: .number(0.01),
                       "ε·‖v‖ of the finite-difference JVP u ≈ (O(Θ+εv) − O(Θ−εv))/2ε (0.01 as in the spec; exact for encoders linear in Θ)"),
        ],
        cost: "auxiliary steps: one head backward per task + one encoder backward (as EW); meta steps (every k-th): + a VJP (with graph for exact ∇_φ), a forward and backward at Θ⁺, and a double backward (exact) or two encoder forwards (finite-difference); see benchmarks (tandem-bench tmt)",
        conventions: [
            "k is the recipe's labels.alternate_every: TMT sees the batches of MTL(k), UW(k) and GCS(k); a batch carrying every label is a meta step (recipes without a parallel set are refused)",
            "the meta step's batch also serves its auxiliary step (X ⊂ X^A), so Θ gets Jᵀ f_φ(g_A) + ∇_Θ L_P(Θ⁺) on it (first-order)",
            "φ used by a step's auxiliary term is φ before that step's meta update",
            "U of each projection is drawn from a generator seeded by the recipe seed and the projection's key (order-invariant)",
        ],
        behaviour: StrategyBehaviour(roles: .onePrimary, singleTaskIsPlainTraining: false),
        defaultStrategyOptimizer: OptimizerDefault(.adam, learningRate: 1e-3, weightDecay: 1e-5))

    /// r as asked (nil: min(5, C), fixed at the first step).
    public let requestedRank: Int?
    /// r of the projections (once drawn), else the requested one.
    public var rank: Int { projections.values.first?.rank ?? requestedRank ?? 5 }
    public let initialScale: Float
    /// α; nil: the shared group's learning rate at each step.
    public let innerStep: Float?
    public let sharing: Sharing
    public let metaGradient: MetaGradient
    public let primaryGradient: PrimaryGradient
    /// false: φ = I, never trained.
    public let learnsProjection: Bool
    /// ε·‖v‖ of the finite-difference JVP (the spec's 0.01).
    public let finiteDifferenceStep: Float
    public let primaryTasks: [String]
    public let auxiliaryTasks: [String]
    /// φ per projection key (auxiliary task name, or `shared`); empty until the first step shows C.
    public private(set) var projections: [String: GradientProjection]
    /// Meta steps taken so far.
    public private(set) var metaSteps = 0
    let seed: UInt64

    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements {
        var needs: CombinerRequirements = [.representationGradients, .parallelMetaSteps, .extraForwardPasses]
        if primaryGradient == .exact || (learnsProjection && metaGradient == .exact) { needs.insert(.secondOrderGradients) }
        return needs
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        try self.init(tasks: context.tasks, rank: options.integer("rank"), initialScale: options.float("initial_scale")!,
                      innerStep: options.float("inner_step"), sharing: Sharing(rawValue: options.text("projection")!)!,
                      metaGradient: MetaGradient(rawValue: options.text("meta_gradient")!)!,
                      primaryGradient: PrimaryGradient(rawValue: options.text("primary_gradient")!)!,
                      learnsProjection: options.boolean("learn_projection")!,
                      finiteDifferenceStep: options.float("finite_difference_step")!, seed: context.seed)
    }

    /// - Parameters:
    ///   - tasks: at least one primary and one auxiliary task.
    ///   - rank: r, the columns of U.
    ///   - initialScale: U starts from N(0, scale²); must be > 0 (U = 0 is a stationary point of
    ///     its gradient, ∂/∂U ∝ (S + Sᵀ)U, so U would never move).
    ///   - initialProjections: φ to start from instead (by projection key), e.g. a test vector.
    public init(tasks: [TaskSpec], rank: Int? = nil, initialScale: Float = 1e-3, innerStep: Float? = nil,
                sharing: Sharing = .perTask, metaGradient: MetaGradient = .exact, primaryGradient: PrimaryGradient = .firstOrder,
                learnsProjection: Bool = true, finiteDifferenceStep: Float = 0.01, seed: UInt64 = 0, initialProjections: [String: GradientProjection]? = nil) throws {
        primaryTasks = tasks.filter { $0.role == .primary }.map(\.name)
        auxiliaryTasks = tasks.filter { $0.role == .auxiliary }.map(\.name)
        guard !primaryTasks.isEmpty else { throw TaskMetaTransferError.missingRole("needs a primary task (role: primary); the tasks are \(tasks.map(\.name))") }
        guard !auxiliaryTasks.isEmpty else {
            throw TaskMetaTransferError.missingRole("needs at least one auxiliary task (role: auxiliary) whose gradient it projects; the tasks are \(tasks.map(\.name)), all primary")
        }
        if let rank, rank < 0 { throw TaskMetaTransferError.invalidOption("rank must be ≥ 0, got \(rank)") }
        if learnsProjection && rank != 0 && initialProjections == nil && !(initialScale > 0) {
            throw TaskMetaTransferError.invalidOption("initial_scale must be > 0 (got \(initialScale)): with U = 0 the meta-gradient ∂L_P/∂U = −α(S + Sᵀ)U is identically zero and U never moves")
        }
        if let innerStep, !(innerStep >= 0) { throw TaskMetaTransferError.invalidOption("inner_step α must be ≥ 0, got \(innerStep)") }
        requestedRank = rank
        self.initialScale = initialScale
        self.innerStep = innerStep
        self.sharing = sharing
        self.metaGradient = metaGradient
        self.primaryGradient = primaryGradient
        self.learnsProjection = learnsProjection
        guard finiteDifferenceStep > 0 else { throw TaskMetaTransferError.invalidOption("finite_difference_step must be > 0, got \(finiteDifferenceStep)") }
        self.finiteDifferenceStep = finiteDifferenceStep
        self.seed = seed
        projections = [:]
        if let initialProjections {
            guard learnsProjection else { throw TaskMetaTransferError.invalidOption("initial projections given with learn_projection: false (φ = I)") }
            guard Set(initialProjections.keys) == Set(projectionKeys) else {
                throw TaskMetaTransferError.invalidOption("initial projections for \(initialProjections.keys.sorted()), expected \(projectionKeys)")
            }
            projections = initialProjections
        }
    }

    /// The projections' keys: the auxiliary tasks, or `shared`.
    public var projectionKeys: [String] { learnsProjection ? (sharing == .shared ? ["shared"] : auxiliaryTasks) : [] }

    /// The meta-parameters, named `projection.KEY.diagonal` / `projection.KEY.lowRank` (empty
    /// until the first step shows the channel count).
    public var metaParameters: Parameters {
        get {
            guard !projections.isEmpty else { return Parameters() }
            return projectionKeys.reduce(Parameters()) { $0.merging(projections[$1]!.parameters(prefix: "projection.\($1)")) }
        }
        set { projections = newValue.isEmpty ? [:] : projections(from: newValue) }
    }

    // MARK: Decoder stage

    /// Every labelled task's head trains on its own loss (Σ_t L_t over the batch's tasks).
    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    // MARK: Encoder stage

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let h = try context.representationGradients()
        try prepareProjections(channels: h[context.taskNames[0]]!.shape[1])
        let labelled = Set(context.taskNames)
        guard primaryTasks.allSatisfy(labelled.contains) else {
            // Auxiliary step: the backbone gets only the projected auxiliary gradients.
            return .representation(Tape.withoutRecording { projectedAuxiliary(h, projections, order: context.taskNames) })
        }
        if !learnsProjection && primaryGradient == .plain {
            // φ = I frozen: one backward of Σ_t h_t (summed as the autodiff of Σ_t L_t sums them).
            return .representation(reverseSum(context.taskNames.map { h[$0]! }))
        }
        metaSteps += 1
        return primaryGradient == .exact ? try exactStep(context) : try lookaheadStep(context, h)
    }

    /// Σ_a f_φa(h_a) (per task) or f_φ(Σ_a h_a) (shared); Σ_a h_a when φ = I.
    func projectedAuxiliary(_ h: [String: Tensor], _ phi: [String: GradientProjection], order: [String]) -> Tensor {
        let auxiliary = order.filter { auxiliaryTasks.contains($0) }
        guard learnsProjection else { return reverseSum(auxiliary.map { h[$0]! }) }
        if sharing == .shared { return phi["shared"]!.apply(reverseSum(auxiliary.map { h[$0]! })) }
        let terms = auxiliary.map { phi[$0]!.apply(h[$0]!) }
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// Σ in reverse order: t_n + … + t_1, as the reverse-mode accumulation at z adds the heads'
    /// contributions (last-recorded first), so φ = I reproduces Σ_t w_t L_t's backward bit for bit.
    func reverseSum(_ terms: [Tensor]) -> Tensor {
        terms.reversed().dropFirst().reduce(terms.last!) { $0 + $1 }
    }

    /// The first-order / plain meta step: Θ⁺ at the step's parameters, v = ∇_Θ L_P(Θ⁺), ∇_φ (exact
    /// or finite differences), the φ update, and the gradients of Θ and θ_P.
    func lookaheadStep(_ context: StepContext, _ h: [String: Tensor]) throws -> EncoderGradient {
        let alpha = innerStep ?? context.learningRates["shared"]!
        let trackPhi = learnsProjection && metaGradient == .exact
        let phiValues = metaParameters
        let phiTracked = trackPhi ? phiValues.tracked() : phiValues
        let phi = projections(from: phiTracked)
        let s = trackPhi ? projectedAuxiliary(h, phi, order: context.taskNames)
            : Tape.withoutRecording { projectedAuxiliary(h, phi, order: context.taskNames) }
        let jts = try context.encoderVectorJacobianProduct(s, createGraph: trackPhi)
        let theta = context.parameters.shared
        let thetaPlus = Tape.withoutRecording { theta - jts.detached * alpha }.tracked()
        let heads = primaryHeads(context).tracked()
        let lookahead = try context.losses(at: thetaPlus.merging(heads))
        let metaLoss = primaryTasks.map { lookahead[$0]! }.reduce(Tensor(0), +)
        let gradients = grad(of: metaLoss, wrt: thetaPlus.tensorsInOrder + heads.tensorsInOrder)
        let v = Parameters(zip(thetaPlus.names, gradients.prefix(thetaPlus.count)).map { ($0, $1) })
        let headGradients = Parameters(zip(heads.names, gradients.dropFirst(thetaPlus.count)).map { ($0, $1) })
        context.report("metaLoss.before", Double(primaryTasks.map { context.losses[$0]! }.reduce(0, +)))
        context.report("metaLoss.after", Double(metaLoss.scalar))

        if learnsProjection {
            let phiGradient: Parameters
            if trackPhi {
                let pairing = Parameters.dot(jts, v) * -alpha
                phiGradient = Parameters(zip(phiTracked.names, grad(of: pairing, wrt: phiTracked.tensorsInOrder)).map { ($0, $1) })
            } else {
                phiGradient = try Tape.withoutRecording { try finiteDifferenceMetaGradient(context, h, v: v, alpha: alpha) }
            }
            try update(context, phiValues: phiValues, gradient: phiGradient)
        }
        let aux = s.detached
        switch primaryGradient {
        case .plain:
            let primary = context.taskNames.filter(primaryTasks.contains).map { h[$0]! }
            return .representation(Tape.withoutRecording { reverseSum(primary + [aux]) })
        default:
            return .parameters(shared: Tape.withoutRecording { jts.detached + v }, heads: headGradients)
        }
    }

    /// ∇_φ from u ≈ (O(Θ + εv) − O(Θ − εv))/2ε and the closed form.
    func finiteDifferenceMetaGradient(_ context: StepContext, _ h: [String: Tensor], v: Parameters, alpha: Float) throws -> Parameters {
        let theta = context.parameters.shared
        let norm = v.norm().scalar
        let keys = projectionKeys
        guard norm > 0 else { return Parameters.zeros(like: metaParameters) }
        let epsilon = finiteDifferenceStep / norm
        let plus = try context.representation(at: theta + v * epsilon), minus = try context.representation(at: theta - v * epsilon)
        let u = (plus - minus) * (1 / (2 * epsilon))
        var result = Parameters()
        for key in keys {
            let g = key == "shared" ? reverseSum(auxiliaryTasks.map { h[$0]! }) : h[key]!
            result = result.merging(projections[key]!.metaGradient(jacobianVectorProduct: u, auxiliaryGradient: g, innerStep: alpha)
                .parameters(prefix: "projection.\(key)"))
        }
        return result
    }

    /// The exact primary mode: everything differentiable in Θ from a fresh encoder pass.
    func exactStep(_ context: StepContext) throws -> EncoderGradient {
        let alpha = innerStep ?? context.learningRates["shared"]!
        let theta = context.parameters.shared.tracked()
        let z = try context.representation(at: theta)
        let headLosses = try context.headLosses(at: z)
        var h: [String: Tensor] = [:]
        for task in auxiliaryTasks where headLosses[task] != nil {
            h[task] = grad(of: headLosses[task]!, wrt: [z], createGraph: true)[0]
        }
        let phiValues = metaParameters
        let phiTracked = phiValues.tracked()
        let s = projectedAuxiliary(h, projections(from: phiTracked), order: context.taskNames)
        let jts = grad(of: z, wrt: theta, seed: s, createGraph: true)
        let thetaPlus = theta - jts * alpha
        let heads = primaryHeads(context).tracked()
        let lookahead = try context.losses(at: thetaPlus.merging(heads))
        let metaLoss = primaryTasks.map { lookahead[$0]! }.reduce(Tensor(0), +)
        let gradients = grad(of: metaLoss, wrt: theta.tensorsInOrder + phiTracked.tensorsInOrder + heads.tensorsInOrder)
        let thetaGradient = Parameters(zip(theta.names, gradients.prefix(theta.count)).map { ($0, $1) })
        let phiGradient = Parameters(zip(phiTracked.names, gradients.dropFirst(theta.count).prefix(phiTracked.count)).map { ($0, $1) })
        let headGradients = Parameters(zip(heads.names, gradients.dropFirst(theta.count + phiTracked.count)).map { ($0, $1) })
        context.report("metaLoss.before", Double(primaryTasks.map { context.losses[$0]! }.reduce(0, +)))
        context.report("metaLoss.after", Double(metaLoss.scalar))
        if learnsProjection { try update(context, phiValues: phiValues, gradient: phiGradient) }
        return .parameters(shared: Tape.withoutRecording { jts.detached + thetaGradient }, heads: headGradients)
    }

    func update(_ context: StepContext, phiValues: Parameters, gradient: Parameters) throws {
        let updated = try context.stepMetaParameters(phiValues, gradients: gradient)
        projections = projections(from: updated.detached)
        for key in projectionKeys {
            let phi = projections[key]!
            let summary = phi.diagonalSummary
            context.report("phiDistance.\(key)", phi.distanceFromIdentity)
            context.report("lambdaSpectrum.min.\(key)", summary.minimum)
            context.report("lambdaSpectrum.mean.\(key)", summary.mean)
            context.report("lambdaSpectrum.max.\(key)", summary.maximum)
        }
    }

    func primaryHeads(_ context: StepContext) -> Parameters {
        primaryTasks.reduce(Parameters()) { $0.merging(context.parameters.head($1)) }
    }

    func projections(from parameters: Parameters) -> [String: GradientProjection] {
        Dictionary(uniqueKeysWithValues: projectionKeys.map { ($0, GradientProjection(parameters, prefix: "projection.\($0)")) })
    }

    /// Draws φ once the channel count C at the bifurcation is known (λ = 1, U ~ N(0, scale²)).
    func prepareProjections(channels: Int) throws {
        guard learnsProjection else { return }
        if let existing = projections.values.first {
            guard existing.channels == channels else {
                throw TaskMetaTransferError.stateMismatch("φ acts on \(existing.channels) channels, the bifurcation has \(channels)")
            }
            return
        }
        let rank = requestedRank ?? min(5, channels)
        guard rank <= channels else {
            throw TaskMetaTransferError.invalidOption("rank \(rank) exceeds the \(channels) channels at the bifurcation")
        }
        for key in projectionKeys {
            var generator = SeededGenerator(seed: seed ^ TaskMetaTransfer.keyHash(key))
            projections[key] = GradientProjection(channels: channels, rank: rank, initialScale: initialScale, generator: &generator)
        }
    }

    /// FNV-1a of a projection key: U's generator depends on the key, not on the task order.
    static func keyHash(_ key: String) -> UInt64 {
        key.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    // MARK: State

    /// The meta-step counter; φ is saved by the trainer as meta-parameters (`meta.…`).
    public func saveState() -> StrategyState {
        StrategyState(words: ["metaSteps": [UInt64(metaSteps)]])
    }

    /// Restores the counter and, since φ is drawn lazily, rebuilds it from the saved
    /// meta-parameters (`meta.projection.KEY.*`) so the generic restore finds its shapes.
    public func restoreState(_ state: StrategyState) throws {
        let steps = try state.words("metaSteps")
        guard steps.count == 1 else { throw StrategyStateError.wrongLength("metaSteps", expected: 1, found: steps.count) }
        metaSteps = Int(steps[0])
        guard learnsProjection, state.numbers["meta.projection.\(projectionKeys[0]).diagonal"] != nil else { return }
        var restored: [String: GradientProjection] = [:]
        for key in projectionKeys {
            let diagonal = try state.numbers("meta.projection.\(key).diagonal")
            let channels = diagonal.count
            let rank = requestedRank ?? min(5, channels)
            let lowRank = try state.numbers("meta.projection.\(key).lowRank", count: channels * rank)
            restored[key] = GradientProjection(diagonal: Tensor(shape: [channels], scalars: diagonal.map(Float.init)),
                                               lowRank: Tensor(shape: [channels, rank], scalars: lowRank.map(Float.init)))
        }
        projections = restored
    }
}
