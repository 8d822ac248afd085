import Foundation

/// Trains a multi-task model with a gradient-combination strategy.
///
/// One step: the encoder runs once to z; the heads run on a detached copy ẑ so per-task
/// gradients at z cost only head backwards; the decoder stage's loss D(L) trains the heads
/// (head t gets ∂D/∂L_t·∇L_t) and the strategy's own parameters; the encoder stage turns the
/// per-task information it asks for into one gradient, which is backpropagated once through the
/// encoder (or given directly for the shared parameters). Each parameter group (shared, heads,
/// strategy) then takes its own optimiser step. The trainer never names a strategy.
public final class Trainer {
    public let model: any MultiTaskModel
    public let tasks: [TaskSpec]
    public let strategy: any GradientCombiner
    public let optimizers: OptimizerGroups
    public let configuration: TrainerConfiguration
    public let data: any TrainingDataSource
    public let metrics: TaskMetricFactory
    /// A task's training loss from its head's prediction and target (default: the task kind's loss).
    public let taskLoss: TaskLoss
    /// The run's seed (initial parameters; the steps' `TrainingProgress` seeds).
    let seed: UInt64
    /// The processes this run spans (one without MPI); every rank computes its own micro-batches.
    public let processGroup: ProcessGroup
    /// How micro-batches are shared out among the processes and brought together.
    let collectives: MicroBatchCollectives

    public internal(set) var parameters: Parameters
    public internal(set) var buffers: Parameters
    public internal(set) var optimizerStates: [String: OptimizerState]
    public internal(set) var step = 0
    public internal(set) var history: [EvaluationPoint] = []
    var epochLossSums: [String: Double] = [:]
    var epochLossCounts: [String: Int] = [:]
    private var recordsWriter: JSONLinesWriter?

    public init(model: any MultiTaskModel, tasks: [TaskSpec], strategy: any GradientCombiner,
                optimizers: OptimizerGroups, configuration: TrainerConfiguration, data: any TrainingDataSource,
                metrics: @escaping TaskMetricFactory = { _ in nil }, taskLoss: @escaping TaskLoss = { task, prediction, target in
                    task.kind.loss(prediction: prediction, target: target)
                }, seed: UInt64, processGroup: ProcessGroup = SingleProcess()) {
        precondition(Set(tasks.map(\.name)).isSubset(of: Set(model.taskNames)),
                     "tasks \(tasks.map(\.name)) are not all heads of the model (\(model.taskNames))")
        let metaNames = strategy.stages.flatMap { $0.metaParameters.names }
        precondition(Set(metaNames).count == metaNames.count, "strategy \(strategy.name): two stages name the same meta-parameter (\(metaNames))")
        precondition(processGroup.size <= configuration.microBatches.count,
                     "\(processGroup.size) processes need at least \(processGroup.size) micro-batches, budget.micro_batches is \(configuration.microBatches.count)")
        self.processGroup = processGroup
        collectives = MicroBatchCollectives(ownership: MicroBatchOwnership(microBatches: configuration.microBatches, group: processGroup))
        self.model = model
        self.tasks = tasks
        self.strategy = strategy
        self.optimizers = optimizers
        self.configuration = configuration
        self.data = data
        self.metrics = metrics
        self.taskLoss = taskLoss
        self.seed = seed
        var generator = SeededGenerator(seed: seed)
        parameters = model.initialParameters(generator: &generator)
        buffers = model.initialBuffers()
        optimizerStates = [
            "shared": optimizers.shared.optimizer.initialState(for: parameters.shared),
            "heads": optimizers.heads.optimizer.initialState(for: parameters.filter(prefix: "heads.")),
            "strategy": optimizers.strategy.optimizer.initialState(for: strategy.decoder.ownParameters),
            "meta": optimizers.strategy.optimizer.initialState(for: strategy.stages.reduce(Parameters()) { $0.merging($1.metaParameters) }),
        ]
    }

    public var epoch: Int { step / max(1, data.stepsPerEpoch) }

    /// The current step's `TrainingProgress`: its epoch, the run's epochs, and a seed from the
    /// run's seed and the step.
    var progress: TrainingProgress { progress(atStep: step) }

    func progress(atStep step: Int) -> TrainingProgress {
        var generator = SeededGenerator(seed: seed ^ 0x5EED_0F_57E9)
        var stepGenerator = generator.split(salt: UInt64(step))
        let stepSeed = stepGenerator.next()
        let perEpoch = max(1, data.stepsPerEpoch)
        return TrainingProgress(epoch: step / perEpoch, epochs: configuration.steps / perEpoch + (configuration.steps % perEpoch == 0 ? 0 : 1),
                                seed: stepSeed)
    }
    var primaryTasks: [String] { tasks.filter { $0.role == .primary }.map(\.name) }

    /// Runs until `configuration.steps` (or until early stopping ends it, `hasStoppedEarly`),
    /// evaluating as configured; `progress` sees every record.
    @discardableResult
    public func run(progress: ((StepRecord) -> Void)? = nil, afterStep: ((Trainer) throws -> Void)? = nil) throws -> [String: [String: [String: Double]]] {
        if let url = configuration.recordsURL, recordsWriter == nil {
            recordsWriter = try JSONLinesWriter(url: url, truncatingTo: step)
        }
        while step < configuration.steps && !hasStoppedEarly {
            let record = try trainStep()
            try recordsWriter?.write(record)
            progress?(record)
            if let every = configuration.evaluateEvery, step % every == 0 || step == configuration.steps {
                try evaluateNow()
            }
            try afterStep?(self)
        }
        if history.last?.step != step { try evaluateNow() }
        return configuration.selection.selectedMetrics(from: history)
    }

    /// Whether early stopping (`configuration.patience`) has ended the run: the last `patience`
    /// evaluations all came after the best one (the first evaluation with the lowest validation error).
    public var hasStoppedEarly: Bool {
        guard let patience = configuration.patience, let best = ModelSelection.best.select(from: history).first else { return false }
        return history.count - 1 - best >= patience
    }

    /// Evaluates on validation and test and appends to `history`.
    public func evaluateNow() throws {
        var all: [String: [String: [String: Double]]] = [:]
        for split in EvaluationSplit.allCases {
            let batches = data.evaluationBatches(split)
            if batches.isEmpty { continue }
            let result = evaluate(model: model, tasks: tasks, parameters: parameters, buffers: buffers, batches: batches, metrics: metrics,
                                  progress: progress(atStep: max(0, step - 1)))
            for (task, values) in result {
                for (name, value) in values where !value.isFinite && name == "loss" {
                    throw NonFiniteValueError(step: step, task: task, quantity: "\(split.rawValue) loss")
                }
            }
            all[split.rawValue] = result
        }
        let error = configuration.selectionCriterion.error(from: all["validation"] ?? all["test"] ?? [:], primaryTasks: primaryTasks)
        history.append(EvaluationPoint(step: step, validationError: error, metrics: all))
    }

    /// One training step (the record written to `records.jsonl`).
    public func trainStep() throws -> StepRecord { try runStep().record }

    /// One training step, with everything the strategy made of it: the one step both training
    /// and `GradientCombinationProblem` (`tandem combine`, the strategy tests) run.
    ///
    /// Forward: the encoder once, the heads on a detached leaf ẑ. The decoder stage's loss D(L)
    /// trains the heads (head t gets ∂D/∂L_t·∇L_t) and the strategy's own parameters; the encoder
    /// stage turns what it asked the context for into one gradient for the encoder. Then each
    /// parameter group steps with its optimiser and the strategy's post-step hook runs.
    func runStep() throws -> StepOutcome {
        let started = Date()
        let kind = configuration.labelSchedule.kind(at: step)
        let batch = data.nextBatch(kind)
        let labelled = tasks.filter { batch.hasLabels(for: $0.name) }
        guard !labelled.isEmpty else {
            throw TrainingError("step \(step): the \(kind.rawValue) batch labels none of the tasks \(tasks.map(\.name).joined(separator: ", "))")
        }
        let rates = optimizers.learningRates(at: step)
        let tracked = parameters.tracked()
        let shared = tracked.shared

        // Forward: encoder once, heads on a detached leaf ẑ (per micro-batch when there are several).
        let z: Tensor, zLeaf: Tensor, losses: [String: Tensor], sink: BatchNormStatisticsSink
        var stepPass: MicroBatchPass?
        if runsInMicroBatches {
            let batchSize = batch.input.shape[0]
            guard processGroup.size == 1 || batchSize >= configuration.microBatches.count else {
                throw TrainingError("step \(step): the \(kind.rawValue) batch has \(batchSize) samples, fewer than budget.micro_batches (\(configuration.microBatches.count)), which \(processGroup.size) processes share")
            }
            let pass = microBatchPass(batchSize: batchSize, ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, progress: progress),
                                      collectingStatistics: true)
            z = representation(of: batch.input, pass)
            zLeaf = z.detached.tracked()
            losses = headLosses(on: zLeaf, targets: batch.targets, tasks: labelled, pass)
            sink = gatheredStatistics(pass)
            stepPass = pass
        } else {
            sink = BatchNormStatisticsSink()
            let forward = ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, statistics: sink, progress: progress)
            z = model.encode(batch.input, forward)
            zLeaf = z.detached.tracked()
            losses = headLosses(on: zLeaf, targets: batch.targets, tasks: labelled, forward)
        }
        for task in labelled where !losses[task.name]!.scalar.isFinite {
            throw NonFiniteValueError(step: step, task: task.name, quantity: "training loss")
        }
        let names = labelled.map(\.name)
        let headParameters = Dictionary(uniqueKeysWithValues: names.map { ($0, tracked.head($0)) })
        let model = self.model

        /// The gradients of `loss` (a function of the heads' outputs on ẑ) for `heads`, and at ẑ when
        /// `atZ` asks for it. Head parameters the model uses in its encoder get theirs through z:
        /// only their task's slice of z depends on them, so the seed ∂loss/∂ẑ gives each its own
        /// task's part.
        func gradientsOfHeads(of loss: Tensor, heads: Parameters, atZ: Bool) -> (heads: Parameters, atZ: Tensor?) {
            let direct = heads.filter { !model.isEncoderSideHeadParameter($0) }
            let inEncoder = heads.filter { model.isEncoderSideHeadParameter($0) }
            let needsZ = atZ || !inEncoder.isEmpty
            let gradients = grad(of: loss, wrt: direct.tensorsInOrder + (needsZ ? [zLeaf] : []), retainGraph: true)
            var result = Parameters(zip(direct.names, gradients.prefix(direct.count)).map { ($0, $1) })
            let representation = needsZ ? gradients.last! : nil
            if let representation, !inEncoder.isEmpty {
                result = result.merging(grad(of: z, wrt: inEncoder, seed: representation, retainGraph: true))
            }
            return (result, representation)
        }

        // Per-task head gradients and h_t, computed together on first request.
        var rawHeadGradients: [String: Parameters]? = nil
        let representationGradients: () -> [String: Tensor] = {
            var heads: [String: Parameters] = [:], result: [String: Tensor] = [:]
            for name in names {
                let gradients = gradientsOfHeads(of: losses[name]!, heads: headParameters[name]!, atZ: true)
                (heads[name], result[name]) = (gradients.heads, gradients.atZ!)
            }
            rawHeadGradients = heads
            return result
        }
        var engine: StepEngine!
        // `sharedGradients` below reads the engine it belongs to; clearing the variable when the
        // step ends breaks that cycle, which otherwise kept every step's graph and batch alive.
        defer { engine = nil }
        engine = StepEngine(
            representation: zLeaf,
            representationGradients: representationGradients,
            headGradients: { rawHeadGradients ?? [:] },
            sharedGradients: { restriction in
                let hs = engine.representationGradients()
                let targets = restriction.map { r in shared.filter { r.contains($0) } } ?? shared
                var result: [String: Parameters] = [:]
                for name in names { result[name] = grad(of: z, wrt: targets, seed: hs[name]!, retainGraph: true) }
                return result
            },
            encoderVJP: { seed, createGraph in grad(of: z, wrt: shared, seed: seed, createGraph: createGraph, retainGraph: true) },
            losses: { [unowned self] substituted, other in self.losses(at: substituted, batch: other ?? batch) },
            representationAt: { [unowned self] substituted, other in
                let context = ForwardContext(parameters: self.parameters.merging(substituted), buffers: self.buffers, isTraining: true,
                                             progress: self.progress)
                return self.representation(of: (other ?? batch).input, context)
            },
            simulatedStep: { [unowned self] gradients in self.simulatedStep(gradients, rates: rates) },
            stepMetaParameters: { [unowned self] current, gradients in self.stepMetaParameters(current, gradients: gradients, rate: rates["strategy"]!) },
            parallelBatch: { [unowned self] in self.data.nextBatch(.parallel) },
            secondBatch: { [unowned self] in self.data.nextBatch(.full) })
        // The Gram matrix of the g_t at θ_s: over several processes from gradients spread over the
        // ranks (`DistributedTaskGradients`), else from the whole g_t.
        var spread: DistributedTaskGradients?
        engine.computeSharedGram = { [unowned self] in
            guard let pass = stepPass, self.processGroup.size > 1, let local = pass.localRepresentation else {
                let gs = engine.sharedParameterGradients()
                return GramMatrix.of(names.map { gs[$0]!.tensorsInOrder })
            }
            let hs = engine.representationGradients()
            let rows = names.map { name in
                grad(of: local, wrt: shared.names.map { pass.shares[$0]! }, seed: self.collectives.distribute(hs[name]!), retainGraph: true)
            }
            spread = DistributedTaskGradients(rows: rows, rowCounts: self.collectives.ownership.microBatchCounts(batchSize: pass.batchSize),
                                              names: shared.names, shapes: shared.tensorsInOrder.map(\.shape), group: self.processGroup)
            return spread!.gram
        }
        engine.computeHeadLosses = { [unowned self] representation, other in
            let context = ForwardContext(parameters: self.parameters, buffers: self.buffers, isTraining: true, progress: self.progress)
            return self.headLosses(on: representation, targets: (other ?? batch).targets, tasks: self.tasks, context)
        }
        let context = StepContext(step: step, epoch: epoch, tasks: labelled, losses: losses.mapValues { $0.scalar },
                                  learningRates: rates, parameters: parameters, strategyName: strategy.name,
                                  requirements: strategy.declaredRequirements, engine: engine)
        context.batchKind = kind

        // Decoder stage: D(L, own); its partials ∂D/∂L_t weight the heads.
        let own = strategy.decoder.ownParameters.tracked()
        let decoderLoss = try strategyStage("decoder stage") { try strategy.decoder.decoderLoss(losses, ownParameters: own, context: context) }
        let partials = grad(of: decoderLoss, wrt: names.map { losses[$0]! } + own.tensorsInOrder, retainGraph: true)
        var decoderWeights: [String: Float] = [:]
        for (index, name) in names.enumerated() { decoderWeights[name] = partials[index].scalar }
        let ownGradients = Parameters(zip(own.names, partials.dropFirst(names.count)).map { ($0, $1) })
        context.decoderWeights = decoderWeights

        // Encoder stage.
        let encoderGradient = try strategyStage("encoder stage") { try strategy.encoder.encoderGradient(context) }
        var headGradients = Parameters()
        var sharedGradients: Parameters
        var encoderWeights: [String: Float]? = nil
        func weightedHeads() {
            if let raw = rawHeadGradients {
                for name in names { headGradients = headGradients.merging(raw[name]! * decoderWeights[name]!) }
            } else {
                let weighted = names.map { losses[$0]! * decoderWeights[$0]! }.reduce(Tensor(0), +)
                let all = Parameters(names.flatMap { headParameters[$0]! }.map { ($0.name, $0.tensor) })
                headGradients = gradientsOfHeads(of: weighted, heads: all, atZ: false).heads
            }
        }
        switch encoderGradient {
        case let .lossWeights(weights):
            encoderWeights = weights
            if let gs = engine.cachedSharedGradients {
                // The per-task gradients at θ_s exist already: one combination pass, no backward.
                weightedHeads()
                sharedGradients = names.dropFirst().reduce(gs[names[0]]! * (weights[names[0]] ?? 0)) { $0 + gs[$1]! * (weights[$1] ?? 0) }
            } else if let spread {
                // The same combination, each shared tensor on the rank that holds its g_t.
                weightedHeads()
                sharedGradients = spread.combination(names.map { weights[$0] ?? 0 })
            } else {
                let h: Tensor
                if let hs = engine.cachedRepresentationGradients {
                    weightedHeads()
                    h = names.map { hs[$0]! * (weights[$0] ?? 0) }.reduce(Tensor.zeros(zLeaf.shape), +)
                } else if names.allSatisfy({ weights[$0] == decoderWeights[$0] }) {
                    // One backward gives the heads and z together.
                    let weighted = names.map { losses[$0]! * decoderWeights[$0]! }.reduce(Tensor(0), +)
                    let all = Parameters(names.flatMap { headParameters[$0]! }.map { ($0.name, $0.tensor) })
                    let gradients = gradientsOfHeads(of: weighted, heads: all, atZ: true)
                    (headGradients, h) = (gradients.heads, gradients.atZ!)
                } else {
                    weightedHeads()
                    let encoderLoss = names.map { losses[$0]! * (weights[$0] ?? 0) }.reduce(Tensor(0), +)
                    h = grad(of: encoderLoss, wrt: [zLeaf], retainGraph: true)[0]
                }
                sharedGradients = grad(of: z, wrt: shared, seed: h)
            }
        case let .representation(h):
            guard h.shape == zLeaf.shape else {
                throw StrategyContractError(strategy: strategy.name, problem: "the encoder stage returned a gradient of shape \(h.shape) for z of shape \(zLeaf.shape)")
            }
            weightedHeads()
            sharedGradients = grad(of: z, wrt: shared, seed: h)
        case let .sharedParameters(g):
            guard g.names == shared.names, zip(g.tensorsInOrder, shared.tensorsInOrder).allSatisfy({ $0.shape == $1.shape }) else {
                throw StrategyContractError(strategy: strategy.name, problem: "the encoder stage returned gradients for \(g.count) shared tensors, the model has \(shared.count) (names and shapes must match)")
            }
            weightedHeads()
            sharedGradients = g
        case let .parameters(g, heads):
            guard g.names == shared.names, zip(g.tensorsInOrder, shared.tensorsInOrder).allSatisfy({ $0.shape == $1.shape }) else {
                throw StrategyContractError(strategy: strategy.name, problem: "the encoder stage returned gradients for \(g.count) shared tensors, the model has \(shared.count) (names and shapes must match)")
            }
            weightedHeads()
            for (name, tensor) in heads {
                guard headGradients.contains(name), headGradients[name].shape == tensor.shape else {
                    throw StrategyContractError(strategy: strategy.name, problem: "the encoder stage returned a gradient for '\(name)', not a head parameter of a task labelled in this batch (or of another shape)")
                }
                headGradients[name] = tensor
            }
            sharedGradients = g
        }
        try checkFinite(sharedGradients, what: "shared-parameter gradient")
        try checkFinite(headGradients, what: "head gradient")
        try checkFinite(ownGradients, what: "strategy-parameter gradient")

        // Optimiser steps, one per group; heads of tasks absent from the batch are left alone.
        let sharedNorm = Double(Tape.withoutRecording { sharedGradients.norm().scalar })
        applyUpdates(shared: sharedGradients, heads: headGradients.filter { !isFrozen($0) }, own: ownGradients, rates: rates)
        buffers = sink.updatedBuffers(buffers, momentum: configuration.batchNormMomentum)
        engine.lossesAfterUpdate = { [unowned self] in
            Tape.withoutRecording { self.losses(at: Parameters(), batch: batch).mapValues { $0.scalar } }
        }
        try strategyStage("post-step hook") { try strategy.notifyStepFinished(context) }
        for stage in strategy.stages {
            try checkFinite(stage.metaParameters, what: "strategy meta-parameter")
        }
        let record = StepRecord(
            step: step, epoch: epoch, batchKind: kind,
            losses: context.losses.mapValues(Double.init),
            decoderWeights: decoderWeights.mapValues(Double.init),
            encoderWeights: encoderWeights?.mapValues(Double.init),
            representationGradientNorms: engine.cachedRepresentationGradients?.mapValues { Double($0.norm().scalar) },
            sharedGradientNorm: sharedNorm,
            learningRates: rates.mapValues(Double.init), reports: engine.reports, seconds: Date().timeIntervalSince(started))
        try checkFinite(record)
        accumulateEpoch(context.losses)
        step += 1
        return StepOutcome(record: record, decoderLoss: decoderLoss.scalar, sharedGradients: sharedGradients, headGradients: headGradients,
                           ownParameterGradients: ownGradients)
    }

    /// Runs a strategy hook; an error that does not already say so is wrapped to name the step and the strategy.
    func strategyStage<T>(_ stage: String, _ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let error as NonFiniteValueError { throw error }
        catch let error as StrategyStepError { throw error }
        catch { throw StrategyStepError(step: step, strategy: strategy.name, stage: stage, underlying: error) }
    }

    /// One step of a strategy's meta-parameters with the strategy group's optimiser; its state
    /// lives in `optimizerStates["meta"]` (checkpointed).
    func stepMetaParameters(_ current: Parameters, gradients: Parameters, rate: Float) -> Parameters {
        let part = Parameters(gradients.names.map { ($0, current[$0]) })
        var state = optimizerStates["meta"]!
        // Meta-parameters made after the trainer (TMT's φ, drawn once C is known) get fresh buffers.
        for (slot, fresh) in optimizers.strategy.optimizer.initialState(for: part).buffers {
            let existing = state.buffers[slot] ?? Parameters()
            state.buffers[slot] = existing.merging(fresh.filter { !existing.contains($0) })
        }
        let (updated, partialState) = optimizers.strategy.optimizer.step(parameters: part, gradients: gradients,
                                                                         state: state.restricted(to: gradients.names), learningRate: rate)
        optimizerStates["meta"] = state.merging(partialState)
        return current.merging(updated)
    }

    func losses(at substituted: Parameters, batch: Batch) -> [String: Tensor] {
        let context = ForwardContext(parameters: parameters.merging(substituted), buffers: buffers, isTraining: true, progress: progress)
        return headLosses(on: representation(of: batch.input, context), targets: batch.targets, tasks: tasks, context)
    }

    /// Whether `name` is a parameter of a frozen head.
    func isFrozen(_ name: String) -> Bool {
        configuration.frozenHeads.contains { name.hasPrefix("heads.\($0).") }
    }

    /// What the real optimisers would do with `gradients`, from their current state (unchanged);
    /// frozen heads stay where they are, as in the real step.
    func simulatedStep(_ gradients: Parameters, rates: [String: Float]) -> Parameters {
        var result = Parameters()
        for group in ["shared", "heads"] {
            let part = gradients.filter { group == "shared" ? $0.hasPrefix("shared.") : $0.hasPrefix("heads.") && !isFrozen($0) }
            if part.isEmpty { continue }
            let current = Parameters(part.names.map { ($0, parameters[$0]) })
            let state = optimizerStates[group]!.restricted(to: part.names)
            result = result.merging(optimizers[group].optimizer.step(parameters: current, gradients: part, state: state,
                                                                     learningRate: rates[group]!).parameters)
        }
        return result
    }

    func applyUpdates(shared: Parameters, heads: Parameters, own: Parameters, rates: [String: Float]) {
        let (newShared, sharedState) = optimizers.shared.optimizer.step(
            parameters: parameters.shared, gradients: shared, state: optimizerStates["shared"]!, learningRate: rates["shared"]!)
        optimizerStates["shared"] = sharedState
        var updated = parameters.merging(newShared)
        if !heads.isEmpty {
            let current = Parameters(heads.names.map { ($0, parameters[$0]) })
            let state = optimizerStates["heads"]!
            let (newHeads, partialState) = optimizers.heads.optimizer.step(
                parameters: current, gradients: heads, state: state.restricted(to: heads.names), learningRate: rates["heads"]!)
            optimizerStates["heads"] = state.merging(partialState)
            updated = updated.merging(newHeads)
        }
        parameters = updated
        if !own.isEmpty {
            let (newOwn, ownState) = optimizers.strategy.optimizer.step(
                parameters: strategy.decoder.ownParameters, gradients: own, state: optimizerStates["strategy"]!,
                learningRate: rates["strategy"]!)
            optimizerStates["strategy"] = ownState
            strategy.decoder.ownParameters = newOwn
        }
    }

    func accumulateEpoch(_ losses: [String: Float]) {
        for (name, value) in losses {
            epochLossSums[name, default: 0] += Double(value)
            epochLossCounts[name, default: 0] += 1
        }
        if (step + 1) % max(1, data.stepsPerEpoch) == 0 {
            var means: [String: Float] = [:]
            for (name, sum) in epochLossSums { means[name] = Float(sum / Double(epochLossCounts[name]!)) }
            strategy.notifyEpochEnded(meanLosses: means)
            epochLossSums = [:]
            epochLossCounts = [:]
        }
    }

    /// Every number a step records must be finite: a strategy option at the end of its range can
    /// drive a weight or a strategy report (IAL's σ) to infinity, which would otherwise surface as a
    /// JSON encoding error of `records.jsonl` instead of naming the quantity and the step.
    func checkFinite(_ record: StepRecord) throws {
        let named: [(String, [String: Double]?)] = [("decoder weight", record.decoderWeights), ("encoder weight", record.encoderWeights),
                                                   ("representation gradient norm", record.representationGradientNorms),
                                                   ("strategy report", record.reports), ("learning rate", record.learningRates)]
        for (what, values) in named {
            if let (name, _) = (values ?? [:]).sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite }) {
                throw NonFiniteValueError(step: step, task: nil, quantity: "\(what) '\(name)'")
            }
        }
        if !record.sharedGradientNorm.isFinite {
            throw NonFiniteValueError(step: step, task: nil, quantity: "shared gradient norm")
        }
    }

    func checkFinite(_ gradients: Parameters, what: String) throws {
        for (name, tensor) in gradients {
            let finite = tensor.withUnsafeBufferPointer { $0.allSatisfy { $0.isFinite } }
            if !finite {
                let task = name.hasPrefix("heads.") ? String(name.dropFirst(6).prefix { $0 != "." }) : nil
                throw NonFiniteValueError(step: step, task: task, quantity: "\(what) '\(name)'")
            }
        }
    }
}

extension OptimizerState {
    /// The state of only the parameters named in `names` (for a step on a subset).
    public func restricted(to names: [String]) -> OptimizerState {
        OptimizerState(step: step, buffers: buffers.mapValues { buffer in buffer.filter { names.contains($0) } })
    }

    /// This state with `partial`'s buffers replacing same-named entries (step count from `partial`).
    public func merging(_ partial: OptimizerState) -> OptimizerState {
        var result = self
        result.step = partial.step
        for (key, buffer) in partial.buffers { result.buffers[key] = (buffers[key] ?? Parameters()).merging(buffer) }
        return result
    }
}
