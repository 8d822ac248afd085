import Foundation
import TandemCore
import TandemDatasets
import TandemStrategies

/// A recipe turned into a ready trainer: data, model, tasks, strategy and optimisers, all checked
/// against the registry before any training starts.
public final class Experiment {
    public let recipe: Recipe
    public let tasks: [TaskSpec]
    public let trainer: Trainer
    /// The model's parameter and buffer names in its reference implementation (a port such as
    /// SegNet-MTAN), recorded in checkpoints so that `tandem export` writes them.
    let referenceNames: [String: String]?
    public let outputFolder: URL
    /// The trainer's data source (its `failure` stops the run).
    public let data: DatasetTrainingSource
    /// The registry the experiment was assembled from (a `pretraining:` phase is assembled from it too).
    public let registry: Registry
    /// Whether the run keeps the encoder of its best validation evaluation in `bestEncoderURL`
    /// (the pre-training phase of transfer learning does).
    public let keepsBestEncoder: Bool
    /// The processes the run spans: every rank trains, only rank 0 writes the run folder.
    public let processGroup: ProcessGroup
    /// The data set's declared true task groups restricted to the recipe's tasks (empty groups
    /// dropped); nil when the data set declares none.
    public let trueTaskGroups: [[String]]?

    public var recordsURL: URL { outputFolder.appendingPathComponent("records.jsonl") }
    public var checkpointURL: URL { outputFolder.appendingPathComponent("checkpoint.tandem") }
    public var resultURL: URL { outputFolder.appendingPathComponent("result.json") }
    /// The pre-training phase's run folder (recipes with `pretraining:`).
    public var pretrainingFolder: URL { outputFolder.appendingPathComponent("pretraining") }
    /// The encoder of the best validation evaluation, when `keepsBestEncoder`.
    public var bestEncoderURL: URL { outputFolder.appendingPathComponent("best-encoder.tandem") }

    /// Checks a recipe's component names and options against `registry` without building anything
    /// (suites check every cell this way before the first one runs).
    @discardableResult
    public static func check(_ recipe: Recipe, registry: Registry = .standard) throws -> (dataset: Options, model: Options, strategy: Options) {
        guard let datasetEntry = registry.datasets[recipe.dataset.name] else {
            throw RecipeError(location: recipe.dataset.location, message: NameSuggestion.unknown("dataset", recipe.dataset.name, valid: registry.datasetNames))
        }
        guard let modelEntry = registry.models[recipe.model.name] else {
            throw RecipeError(location: recipe.model.location, message: NameSuggestion.unknown("model", recipe.model.name, valid: registry.modelNames))
        }
        guard let strategyEntry = registry.strategies[recipe.strategy.name] else {
            throw RecipeError(location: recipe.strategy.location, message: NameSuggestion.unknown("strategy", recipe.strategy.name, valid: registry.strategyNames))
        }
        if let phase = try recipe.pretrainingRecipe() { try check(phase, registry: registry) }
        return (try Options.parse(recipe.dataset.options, specs: datasetEntry.description.options, owner: recipe.dataset.name),
                try Options.parse(recipe.model.options, specs: modelEntry.description.options, owner: recipe.model.name,
                                  environment: registry.optionEnvironment(tasks: recipe.tasks.map(\.name))),
                try Options.parse(recipe.strategy.options, specs: strategyEntry.description.options, owner: recipe.strategy.name,
                                  environment: registry.optionEnvironment(tasks: recipe.tasks.map(\.name))))
    }

    /// The declared true task groups of `recipe`'s data set restricted to its tasks (nil: none
    /// declared), building only the data set.
    public static func trueTaskGroups(of recipe: Recipe, registry: Registry = .standard) throws -> [[String]]? {
        let (datasetOptions, _, _) = try check(recipe, registry: registry)
        let bundle = try datasetBundle(recipe, entry: registry.datasets[recipe.dataset.name]!, options: datasetOptions)
        try bundle.training.validateTrueTaskGroups()
        return bundle.trueTaskGroups.map { restrict($0, to: recipe.tasks.map(\.name)) }
    }

    /// `groups` with only the members in `tasks`, empty groups dropped.
    static func restrict(_ groups: [[String]], to tasks: [String]) -> [[String]] {
        groups.map { $0.filter(tasks.contains) }.filter { !$0.isEmpty }
    }

    /// The recipe's data set, built by its registry entry (errors name the recipe's `dataset:`).
    static func datasetBundle(_ recipe: Recipe, entry: DatasetEntry, options: Options) throws -> DatasetBundle {
        let recipeFolder = URL(fileURLWithPath: recipe.file).deletingLastPathComponent().path
        do { return try entry.make(options, recipeFolder) }
        catch let error as RecipeError { throw error }
        catch { throw RecipeError(location: recipe.dataset.location, message: "dataset \(recipe.dataset.name): \(error)") }
    }

    public init(recipe: Recipe, registry: Registry = .standard, outputFolder: URL? = nil, keepsBestEncoder: Bool = false,
                processGroup: ProcessGroup = SingleProcess()) throws {
        self.recipe = recipe
        self.registry = registry
        self.keepsBestEncoder = keepsBestEncoder
        self.processGroup = processGroup
        if processGroup.size > recipe.microBatches.count {
            throw RecipeError(file: recipe.file, line: 1, column: 1,
                              message: "the run has \(processGroup.size) processes, but budget.micro_batches is \(recipe.microBatches.count): "
                                       + "each process computes whole micro-batches, so set budget.micro_batches to at least \(processGroup.size) "
                                       + "(the results depend on it, not on the process count)")
        }
        // A recipe's `output:` was checked when it was read; a folder given here (`--output`) is checked now.
        if let outputFolder { try RunFolderPath.check(outputFolder.path) }
        let (datasetOptions, modelOptions, strategyOptions) = try Experiment.check(recipe, registry: registry)
        // `check` has verified that the names exist.
        let datasetEntry = registry.datasets[recipe.dataset.name]!, modelEntry = registry.models[recipe.model.name]!
        let strategyEntry = registry.strategies[recipe.strategy.name]!

        let bundle = try Experiment.datasetBundle(recipe, entry: datasetEntry, options: datasetOptions)

        let available = bundle.tasks.map(\.name)
        tasks = try recipe.tasks.map { choice in
            guard var task = bundle.tasks.first(where: { $0.name == choice.name }) else {
                throw RecipeError(location: choice.location, message: NameSuggestion.unknown("task of \(recipe.dataset.name)", choice.name, valid: available))
            }
            task.role = choice.role
            return task
        }
        trueTaskGroups = bundle.trueTaskGroups.map { Experiment.restrict($0, to: recipe.tasks.map(\.name)) }

        let model: any MultiTaskModel
        do { model = try modelEntry.make(modelOptions, tasks, bundle.inputShape, registry) }
        catch let error as RecipeError { throw error }
        catch { throw RecipeError(location: recipe.model.location, message: "model \(recipe.model.name): \(error)") }

        var strategy: any GradientCombiner
        do { strategy = try strategyEntry.make(strategyOptions, registry.buildContext(tasks: tasks, seed: recipe.seed)) }
        catch let error as RecipeError { throw error }
        catch { throw RecipeError(location: recipe.strategy.location, message: "strategy \(recipe.strategy.name): \(error)") }
        if let measurement = recipe.transference {
            strategy = TransferenceProbe(inner: strategy, every: measurement.every, perLearningRate: measurement.perLearningRate)
        }

        if strategy.declaredRequirements.contains(.parallelMetaSteps) && recipe.parallelFraction == nil {
            throw RecipeError(location: recipe.strategy.location,
                              message: "strategy \(recipe.strategy.name) trains from limited parallel labels: the recipe needs `labels: {parallel_fraction: 0.1, alternate_every: K}` (the parallel set X and the meta-step period k)")
        }
        var availability: LabelAvailability? = nil
        var schedule = LabelSchedule.full
        if let fraction = recipe.parallelFraction, let every = recipe.alternateEvery {
            availability = try LabelAvailability(trainingIndices: bundle.trainingIndices,
                                                 primaryTasks: tasks.filter { $0.role == .primary }.map(\.name),
                                                 auxiliaryTasks: tasks.filter { $0.role == .auxiliary }.map(\.name),
                                                 parallelFraction: fraction, seed: recipe.seed)
            schedule = .alternating(every: every)
        }
        let data: DatasetTrainingSource
        do {
            data = try DatasetTrainingSource(bundle: bundle, availability: availability, batchSize: recipe.batchSize,
                                             evaluationBatchSize: recipe.evaluationBatchSize, seed: recipe.seed)
        } catch let error as DatasetError {
            throw RecipeError(location: recipe.dataset.location, message: "dataset \(recipe.dataset.name): \(error)")
        }
        self.data = data
        let criterion = try Experiment.criterion(recipe.criterion, tasks: tasks, recipe: recipe)
        self.outputFolder = outputFolder ?? URL(fileURLWithPath: recipe.output)
        let totalSteps = recipe.epochs.map { $0 * data.stepsPerEpoch } ?? recipe.steps
        let evaluateEvery = recipe.evaluateEvery.map { recipe.evaluateEveryInEpochs ? $0 * data.stepsPerEpoch : $0 }
        let configuration = TrainerConfiguration(steps: totalSteps, labelSchedule: schedule, evaluateEvery: evaluateEvery,
                                                 selection: recipe.selection, selectionCriterion: criterion,
                                                 recordsURL: processGroup.isWriter ? self.outputFolder.appendingPathComponent("records.jsonl") : nil,
                                                 frozenHeads: Set(recipe.tasks.filter(\.frozen).map(\.name)), patience: recipe.patience,
                                                 microBatches: recipe.microBatches)
        let optimizers = OptimizerGroups(shared: recipe.optimizer.setting(totalSteps: totalSteps, stepsPerEpoch: data.stepsPerEpoch),
                                         heads: recipe.headsOptimizer.setting(totalSteps: totalSteps, stepsPerEpoch: data.stepsPerEpoch),
                                         strategy: Experiment.strategyOptimizer(recipe, strategyEntry.description).setting(totalSteps: totalSteps, stepsPerEpoch: data.stepsPerEpoch))
        trainer = Trainer(model: model, tasks: tasks, strategy: strategy, optimizers: optimizers, configuration: configuration,
                          data: data, metrics: Experiment.metrics(recipe), seed: recipe.seed, processGroup: processGroup)
        if let weights = recipe.modelWeights { try Experiment.loadWeights(weights.path, at: weights.location, into: trainer) }
        referenceNames = ModelWeights.referenceNames(of: model, names: trainer.parameters.names + trainer.buffers.names)
    }

    /// The metric accumulators of `recipe`'s evaluation (`evaluation.metric_averaging`).
    static func metrics(_ recipe: Recipe) -> TaskMetricFactory {
        { [averaging = recipe.metricAveraging] task in StandardMetrics.accumulator(for: task, averaging: averaging) }
    }

    /// The recipe's `strategy_optimizer`, or the strategy's documented default when the recipe
    /// names none (FAMO's, Auto-λ's and TMT's meta-parameters have published optimisers).
    static func strategyOptimizer(_ recipe: Recipe, _ description: StrategyDescription) -> OptimizerChoice {
        guard !recipe.strategyOptimizerIsGiven, let preset = description.defaultStrategyOptimizer else { return recipe.strategyOptimizer }
        var choice = OptimizerChoice()
        choice.kind = preset.kind == .adam ? .adam : .sgd
        choice.learningRate = preset.learningRate
        choice.weightDecay = preset.weightDecay
        return choice
    }

    /// `loss` (mean primary validation loss) or `TASK.METRIC` (direction from the metric's definition).
    static func criterion(_ text: String, tasks: [TaskSpec], recipe: Recipe) throws -> SelectionCriterion {
        if text == "loss" { return .primaryLoss }
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let task = tasks.first(where: { $0.name == parts[0] }) else {
            throw RecipeError(file: recipe.file, line: 1, column: 1,
                              message: "evaluation.criterion must be `loss` or TASK.METRIC with a task of the recipe (\(tasks.map(\.name).joined(separator: ", "))), found '\(text)'")
        }
        let directions = StandardMetrics.directions(for: task.kind)
        guard let direction = directions[parts[1]] else {
            throw RecipeError(file: recipe.file, line: 1, column: 1,
                              message: NameSuggestion.unknown("metric of task \(task.name)", parts[1], valid: directions.keys.sorted()))
        }
        return .metric(task: task.name, name: parts[1], higherIsBetter: direction == .higherIsBetter)
    }

    /// What a finished run reports (written as `result.json`).
    public struct Result: Codable, Equatable {
        public var name: String
        public var strategy: String
        public var seed: UInt64
        public var steps: Int
        /// split → task → metric, averaged over the selected evaluations.
        public var metrics: [String: [String: [String: Double]]]
        public var selectedSteps: [Int]
        public var secondsPerStep: Double
        public var history: [EvaluationPoint]
        /// Where the result came from (commit, versions, threads, host, Slurm ids, recipe hash, peak
        /// memory); `nil` in results written before provenance was recorded.
        public var provenance: Provenance?
        /// The trivial predictor's metrics (`TrivialReference`): split → task → metric.
        public var trivialReference: [String: [String: [String: Double]]]?

        public init(name: String, strategy: String, seed: UInt64, steps: Int, metrics: [String: [String: [String: Double]]],
                    selectedSteps: [Int], secondsPerStep: Double, history: [EvaluationPoint],
                    provenance: Provenance? = nil, trivialReference: [String: [String: [String: Double]]]? = nil) {
            self.name = name
            self.strategy = strategy
            self.seed = seed
            self.steps = steps
            self.metrics = metrics
            self.selectedSteps = selectedSteps
            self.secondsPerStep = secondsPerStep
            self.history = history
            self.provenance = provenance
            self.trivialReference = trivialReference
        }
    }

    /// Refuses, before any training, a `TASK.METRIC` criterion that the selection split (validation,
    /// else test) cannot produce because it has no valid label of that task: the metric depends on
    /// the labels only, so the trivial predictor (`TrivialReference`) shows whether it is defined.
    func checkCriterionIsDefined() throws {
        guard case let .metric(task, name, _) = trainer.configuration.selectionCriterion else { return }
        let reference = trivialReference()
        guard let split = ["validation", "test"].first(where: { reference[$0] != nil }), reference[split]?[task]?[name] == nil else { return }
        throw RecipeError(file: recipe.file, line: 1, column: 1,
                          message: "evaluation.criterion \(task).\(name) cannot be computed: the \(split) split has no valid \(task) label, "
                                   + "so no evaluation could be selected by it; choose another criterion (e.g. `loss`) or a split with \(task) labels")
    }

    /// The trivial predictor's metrics on each evaluation split that has batches.
    public func trivialReference() -> [String: [String: [String: Double]]] {
        var reference: [String: [String: [String: Double]]] = [:]
        for split in EvaluationSplit.allCases {
            let batches = trainer.data.evaluationBatches(split)
            guard !batches.isEmpty else { continue }
            reference[split.rawValue] = TrivialReference.metrics(tasks: tasks, batches: batches, metrics: Experiment.metrics(recipe))
        }
        return reference
    }

    /// Trains to the end (resuming from the checkpoint when asked and one exists), checkpointing
    /// atomically as configured and at the end, and writes `result.json`.
    ///
    /// A resume is refused when the checkpoint was written for a recipe that differs in anything
    /// that changes the numbers (the message names each differing section), and temporary files of
    /// killed checkpoint writers are removed. A training batch that cannot be read stops the run
    /// with the data error, before the step it spoiled is checkpointed. File-system problems are
    /// reported as `CommandError`s naming the path and the reason.
    ///
    /// A recipe with `pretraining:` first runs its pre-training phase into `pretrainingFolder`
    /// (resumed or started afresh as this run is; skipped when this run resumes from its own
    /// checkpoint) and starts from that phase's best encoder (`PretrainingPhase.swift`);
    /// `pretrainingProgress` is handed the phase's experiment and returns the progress callback
    /// for its steps.
    @discardableResult
    public func run(resume: Bool = false, progress: ((StepRecord) -> Void)? = nil,
                    pretrainingProgress: ((Experiment) -> ((StepRecord) -> Void)?)? = nil) throws -> Result {
        // Only rank 0 of a run over several processes writes; the others read its checkpoint.
        let writes = processGroup.isWriter
        var lock: RunFolderLock?
        if writes {
            do { try FileProblem.makeFolder(outputFolder) }
            catch { throw CommandError("cannot create the run folder \(outputFolder.path): \(error)") }
            try RunFolderLinks.refuse(in: outputFolder)
            // One writer per run folder, whoever starts it (a suite's child, a Slurm task, `tandem train`).
            lock = try RunFolderLock(folder: outputFolder)
            Checkpoint.removeStaleTemporaryFiles(of: checkpointURL)
        }
        defer { lock?.release() }
        let dataFingerprint = TrainingDataFingerprint.text(of: data.bundle)
        if resume, FileManager.default.fileExists(atPath: checkpointURL.path) {
            let saved = try Checkpoint.read(from: checkpointURL, maximumSize: try maximumCheckpointSize())
            try checkSameRecipe(saved)
            try checkSameData(saved, fingerprint: dataFingerprint)
            try trainer.restore(from: saved, source: checkpointURL.path)
            try keepBestEncoderIfNew()
        } else {
            try checkCriterionIsDefined()
            if !resume && writes { try? FileManager.default.removeItem(at: recordsURL) }
            if let phase = try recipe.pretrainingRecipe() {
                let pretraining = try Experiment(recipe: phase, registry: registry, outputFolder: pretrainingFolder, keepsBestEncoder: true,
                                                 processGroup: processGroup)
                try pretraining.run(resume: resume, progress: pretrainingProgress?(pretraining))
                processGroup.barrier()   // rank 0 has written the best encoder every rank reads next
                let encoder = try pretraining.bestEncoder()
                try trainer.initializeEncoder(parameters: encoder.parameters, buffers: encoder.buffers, source: pretraining.bestEncoderURL.path)
            }
        }
        var seconds = 0.0, timed = 0
        let every = recipe.checkpointEvery
        let metrics: [String: [String: [String: Double]]]
        do {
            metrics = try trainer.run(progress: { record in
                seconds += record.seconds
                timed += 1
                progress?(record)
            }, afterStep: { [checkpointURL, data, recipe, dataFingerprint] trainer in
                // A batch that could not be read was replaced for this one step: stop before saving it.
                if let failure = data.failure { throw failure }
                try self.keepBestEncoderIfNew()
                if writes, let every, trainer.step % every == 0, trainer.step < trainer.configuration.steps {
                    try self.checkpoint(trainer, recipe: recipe, data: dataFingerprint).write(to: checkpointURL)
                }
            })
        } catch {
            if let failure = data.failure { throw CommandError("training stopped: \(failure)") }
            throw error
        }
        try keepBestEncoderIfNew()
        if writes { try self.checkpoint(trainer, recipe: recipe, data: dataFingerprint).write(to: checkpointURL) }
        let result = Result(name: recipe.name, strategy: recipe.strategy.name, seed: recipe.seed, steps: trainer.step, metrics: metrics,
                            selectedSteps: recipe.selection.select(from: trainer.history).map { trainer.history[$0].step },
                            secondsPerStep: timed > 0 ? seconds / Double(timed) : 0, history: trainer.history,
                            provenance: Provenance.current(recipe: recipe, processes: processGroup.size), trivialReference: trivialReference())
        guard writes else { return result }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let encoded: Data
        do { encoded = try encoder.encode(result) }
        catch { throw CommandError("cannot encode the result for \(resultURL.path) (\(error)); the checkpoint \(checkpointURL.path) is kept") }
        do throws(AtomicFile.Failure) { try AtomicFile.write(encoded, to: resultURL) }
        catch { throw CommandError("\(error.path): \(error.problem); the checkpoint \(checkpointURL.path) is kept") }
        return result
    }

    /// The most bytes this run's checkpoint can hold uncompressed: eight times its state tensors
    /// (parameters, buffers, the strategy's own; optimiser slots are at most a few per parameter),
    /// plus 64 MiB and 4 KiB a step for the metadata (history, strategy and data state). A
    /// checkpoint declaring more was not written by this run and is refused before decompression.
    func maximumCheckpointSize() throws -> Int {
        let state = try trainer.checkpoint().tensors.reduce(0) { $0 + $1.tensor.count }
        return 8 * 4 * state + (64 << 20) + 4096 * trainer.configuration.steps
    }

    /// The trainer's checkpoint bound to what it was trained for: the recipe's fingerprint
    /// (`recipe.SECTION`) and the training data's (`data.training`, `TrainingDataFingerprint`).
    func checkpoint(_ trainer: Trainer, recipe: Recipe, data: String) throws -> Checkpoint {
        var checkpoint = try trainer.checkpoint()
        if let referenceNames {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            checkpoint.attributes[ModelWeights.referenceNamesAttribute] = String(decoding: try encoder.encode(referenceNames), as: UTF8.self)
        }
        for (section, text) in recipe.fingerprint { checkpoint.attributes["recipe.\(section)"] = text }
        checkpoint.attributes[TrainingDataFingerprint.attribute] = data
        return checkpoint
    }

    /// Refuses to resume from a checkpoint trained on other data than the run's training split
    /// now holds (or recording none: written by an older build, or with its attributes removed).
    func checkSameData(_ saved: Checkpoint, fingerprint: String) throws {
        let recorded = saved.attributes[TrainingDataFingerprint.attribute]
        guard recorded == fingerprint else {
            throw CommandError("\(checkpointURL.path): cannot resume: "
                               + (recorded.map { "the training data changed since the checkpoint was written — then \($0), now \(fingerprint)" }
                                  ?? "the checkpoint does not record the training data it was trained on (\(TrainingDataFingerprint.attribute))")
                               + ". Restore the data it was trained on, or start afresh (without --resume, or with another --output).")
        }
    }

    /// Refuses to resume from a checkpoint written for another recipe (or to use another file
    /// `saved` was read from, `file`, for `purpose`), naming every section that changed; a
    /// checkpoint that records no recipe at all (its attributes removed) is refused too.
    func checkSameRecipe(_ saved: Checkpoint, file: URL? = nil, purpose: String = "resume") throws {
        let before = saved.attributes.filter { $0.key.hasPrefix("recipe.") }
        guard !before.isEmpty else {
            throw CommandError("\((file ?? checkpointURL).path): cannot \(purpose): \(file == nil ? "the checkpoint" : "it") records no recipe "
                               + "(its recipe.* attributes are missing), so it cannot be shown to belong to this one. "
                               + "Start afresh (without --resume, or with another --output).")
        }
        var changes: [String] = []
        for section in Set(before.keys.map { String($0.dropFirst("recipe.".count)) }).union(recipe.fingerprint.keys).sorted() {
            let old = before["recipe.\(section)"], new = recipe.fingerprint[section]
            if old != new { changes.append("\(section): \(old ?? "(not set)") → \(new ?? "(not set)")") }
        }
        guard changes.isEmpty else {
            throw CommandError("\((file ?? checkpointURL).path): cannot \(purpose): \(file == nil ? "the checkpoint" : "it") was written for a different recipe — "
                               + changes.joined(separator: "; ")
                               + ". Resume with the recipe it was written for, or start afresh (without --resume, or with another --output).")
        }
    }
}
