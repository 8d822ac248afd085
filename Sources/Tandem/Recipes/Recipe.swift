import Foundation
import TandemCore

/// A component picked by name with its options, as written in a recipe:
/// `strategy: pcgrad` or `strategy: {name: pcgrad, reduction: mean}`.
public struct ComponentChoice {
    public var name: String
    public var location: SourceLocation
    /// The option entries (everything but `name`), checked later against the component's specs.
    public var options: YAMLNode?

    static func read(_ node: YAMLNode, section: String) throws -> ComponentChoice {
        if case let .scalar(name, location, _) = node { return ComponentChoice(name: name, location: location, options: nil) }
        let reader = try MappingReader(node, section: section)
        let nameNode = try reader.required("name", expected: "the \(section)'s name")
        let name = try MappingReader.text(nameNode, what: "\(section).name")
        return ComponentChoice(name: name, location: nameNode.location, options: reader.remaining(excluding: ["name"]))
    }
}

/// One optimiser as a recipe describes it.
public struct OptimizerChoice: Equatable {
    public enum Kind: String, CaseIterable { case sgd, adam, adamw }
    public var kind: Kind = .sgd
    public var learningRate: Double = 0.1
    public var momentum: Double = 0
    public var nesterov = false
    public var weightDecay: Double = 0
    public var beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8
    /// The schedule as written; the total step count is filled in when the budget is known.
    public var scheduleSpecification: ScheduleSpecification = .constant
    /// `milestone_unit: epochs`: stepwise milestones count epochs, resolved once the epoch length is known.
    public var milestonesInEpochs = false

    /// A learning-rate schedule before the run's length is known (budgets may be in epochs).
    public enum ScheduleSpecification: Equatable {
        case constant, halfAtMidpoint, cosine(minimum: Float), stepwise(milestones: [Int], factor: Float)
    }

    public func schedule(totalSteps: Int, stepsPerEpoch: Int = 1) -> LearningRateSchedule {
        switch scheduleSpecification {
        case .constant: return .constant
        case .halfAtMidpoint: return .halfAtMidpoint(totalSteps: totalSteps)
        case let .cosine(minimum): return .cosine(totalSteps: totalSteps, minimum: minimum)
        case let .stepwise(milestones, factor):
            return .stepwise(milestones: milestonesInEpochs ? milestones.map { $0 * max(1, stepsPerEpoch) } : milestones, factor: factor)
        }
    }

    static let scheduleNames = ["constant", "half_at_midpoint", "cosine", "stepwise"]

    /// `milestones:` of a stepwise schedule: a non-empty, strictly increasing list of positive
    /// steps (an empty list would leave the schedule constant without a word).
    static func milestones(_ node: YAMLNode, section: String) throws -> [Int] {
        let milestones = try MappingReader.list(node, what: "\(section).milestones").map {
            try MappingReader.integer($0, what: "\(section).milestones", range: 1...Int.max)
        }
        guard !milestones.isEmpty else {
            throw RecipeError(location: node.location, message: "\(section).milestones lists no steps; a stepwise schedule needs at least one")
        }
        guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw RecipeError(location: node.location, message: "\(section).milestones must be strictly increasing, found \(milestones)")
        }
        return milestones
    }

    static func read(_ node: YAMLNode, section: String, inheriting base: OptimizerChoice? = nil) throws -> OptimizerChoice {
        let reader = try MappingReader(node, section: section)
        var choice = base ?? OptimizerChoice()
        if let n = reader.optional("name") { choice.kind = Kind(rawValue: try MappingReader.choice(n, what: "\(section).name", from: Kind.allCases.map(\.rawValue)))! }
        if let n = reader.optional("learning_rate") { choice.learningRate = try MappingReader.number(n, what: "\(section).learning_rate", range: 0...100) }
        if let n = reader.optional("momentum") { choice.momentum = try MappingReader.number(n, what: "\(section).momentum", range: 0...0.9999) }
        if let n = reader.optional("nesterov") { choice.nesterov = try MappingReader.boolean(n, what: "\(section).nesterov") }
        if let n = reader.optional("weight_decay") { choice.weightDecay = try MappingReader.number(n, what: "\(section).weight_decay", range: 0...1) }
        if let n = reader.optional("beta1") { choice.beta1 = try MappingReader.number(n, what: "\(section).beta1", range: 0...0.99999) }
        if let n = reader.optional("beta2") { choice.beta2 = try MappingReader.number(n, what: "\(section).beta2", range: 0...0.99999999) }
        if let n = reader.optional("epsilon") { choice.epsilon = try MappingReader.number(n, what: "\(section).epsilon", range: 0...1) }
        let milestonesNode = reader.optional("milestones"), factorNode = reader.optional("factor"), minimumNode = reader.optional("minimum")
        let unitNode = reader.optional("milestone_unit")
        if let unitNode {
            choice.milestonesInEpochs = try MappingReader.choice(unitNode, what: "\(section).milestone_unit", from: ["steps", "epochs"]) == "epochs"
        }
        if let n = reader.optional("schedule") {
            switch try MappingReader.choice(n, what: "\(section).schedule", from: scheduleNames) {
            case "constant": choice.scheduleSpecification = .constant
            case "half_at_midpoint": choice.scheduleSpecification = .halfAtMidpoint
            case "cosine":
                let minimum = try minimumNode.map { try MappingReader.number($0, what: "\(section).minimum", range: 0...100) } ?? 0
                choice.scheduleSpecification = .cosine(minimum: Float(minimum))
            default:
                guard let milestonesNode else {
                    throw RecipeError(location: n.location, message: "\(section).schedule stepwise needs `milestones:` (a list of steps)")
                }
                let milestones = try OptimizerChoice.milestones(milestonesNode, section: section)
                let factor = try factorNode.map { try MappingReader.number($0, what: "\(section).factor", range: 0...1) } ?? 0.5
                choice.scheduleSpecification = .stepwise(milestones: milestones, factor: Float(factor))
            }
        } else {
            // No `schedule:` here: settings refine the inherited schedule of the same kind.
            switch choice.scheduleSpecification {
            case let .stepwise(milestones, factor):
                let newMilestones = try milestonesNode.map { try OptimizerChoice.milestones($0, section: section) } ?? milestones
                let newFactor = try factorNode.map { Float(try MappingReader.number($0, what: "\(section).factor", range: 0...1)) } ?? factor
                choice.scheduleSpecification = .stepwise(milestones: newMilestones, factor: newFactor)
            case let .cosine(minimum):
                let newMinimum = try minimumNode.map { Float(try MappingReader.number($0, what: "\(section).minimum", range: 0...100)) } ?? minimum
                choice.scheduleSpecification = .cosine(minimum: newMinimum)
            default: break
            }
        }
        // Settings of one schedule given without that schedule would be silently unused.
        let stepwise: Bool, cosine: Bool
        switch choice.scheduleSpecification {
        case .stepwise: (stepwise, cosine) = (true, false)
        case .cosine: (stepwise, cosine) = (false, true)
        default: (stepwise, cosine) = (false, false)
        }
        for (key, node, applies) in [("milestones", milestonesNode, stepwise), ("factor", factorNode, stepwise), ("milestone_unit", unitNode, stepwise),
                                     ("minimum", minimumNode, cosine)] {
            guard let node, !applies else { continue }
            throw RecipeError(location: node.location,
                              message: "\(section).\(key) only applies to `schedule: \(key == "minimum" ? "cosine" : "stepwise")`; add that schedule or remove `\(key):`")
        }
        if choice.nesterov && choice.momentum == 0 {
            throw RecipeError(location: reader.location, message: "\(section): nesterov needs momentum > 0")
        }
        try reader.finish()
        return choice
    }

    public func setting(totalSteps: Int, stepsPerEpoch: Int = 1) -> OptimizerSetting {
        let optimizer: any Optimizer
        switch kind {
        case .sgd: optimizer = SGD(momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(weightDecay))
        case .adam, .adamw: optimizer = Adam(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                                            weightDecay: Float(weightDecay), decoupled: kind == .adamw)
        }
        return OptimizerSetting(optimizer: optimizer, learningRate: Float(learningRate),
                                schedule: schedule(totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch))
    }
}

/// A task as a recipe names it.
public struct TaskChoice: Equatable {
    public var name: String
    public var role: TaskRole
    public var location: SourceLocation
    /// The task's head stays at its initial parameters (the IAL paper's Table X: a fixed auxiliary head).
    public var frozen = false
}

/// A checked recipe: everything typed and range-checked; component names and options are checked
/// against the registry during assembly, still before any training starts.
public struct Recipe {
    public var file: String
    public var name: String
    public var seed: UInt64
    public var output: String
    public var dataset: ComponentChoice
    public var tasks: [TaskChoice]
    public var model: ComponentChoice
    /// `model.weights`: a safetensors file the model starts from (Tandem's or a reference
    /// implementation's names; relative to the recipe's folder), nil for the seeded initialisation.
    public var modelWeights: (path: String, location: SourceLocation)?
    public var strategy: ComponentChoice
    public var optimizer: OptimizerChoice
    public var headsOptimizer: OptimizerChoice
    public var strategyOptimizer: OptimizerChoice
    /// Whether the recipe names a `strategy_optimizer` (otherwise the strategy's documented
    /// default applies, or the shared optimiser when it has none).
    public var strategyOptimizerIsGiven: Bool
    /// Training steps; with an `epochs` budget, 0 until the data set fixes the epoch length.
    public var steps: Int
    /// The budget in epochs, when the recipe gives `budget.epochs` instead of `budget.steps`.
    public var epochs: Int?
    public var batchSize: Int
    /// `budget.micro_batches: S`: every training batch runs as S micro-batches (`MicroBatches`).
    public var microBatches: MicroBatches
    public var parallelFraction: Double?
    public var alternateEvery: Int?
    public var evaluateEvery: Int?
    /// `evaluation.every_unit: epochs`: `evaluateEvery` counts epochs, resolved once the epoch
    /// length is known (the Nash-MTL / FAMO protocol evaluates after every epoch).
    public var evaluateEveryInEpochs = false
    /// `evaluation.metric_averaging`: how depth and normal errors reduce over a split — `pixels`
    /// (every valid pixel of the split weighs the same) or `batches` (the mean of per-batch values,
    /// as the MTAN / Nash-MTL / FAMO trainers print them).
    public var metricAveraging = MetricAveraging.pixels
    public var evaluationBatchSize: Int
    public var selection: ModelSelection
    public var criterion: String
    public var checkpointEvery: Int?
    /// `evaluation.patience`: early stopping after this many evaluations without a new best
    /// validation criterion (nil: the run goes to the end of its budget).
    public var patience: Int?
    /// With a `pretraining:` section (transfer learning), the whole recipe of the pre-training
    /// phase as a YAML tree (`pretrainingRecipe()` checks and types it); nil otherwise. This recipe
    /// itself is then the fine-tuning phase: its tasks are the primary ones only, and with `labels`
    /// every batch comes from the parallel set X (`alternate_every` 1).
    public var pretrainingDocument: YAMLNode?
    /// Measure inter-task transference during the run (`transference: {every: 10}`); nil: not measured.
    public var transference: TransferenceMeasurement?

    /// `transference:` — every how many steps Z_{i→j} is measured (TransferenceProbe), and whether
    /// it is divided by the shared learning rate (TAG's affinity); and how `tandem affinity` groups
    /// the tasks from it (its `--groups`, `--partition` and `--normalised`, which override these).
    public struct TransferenceMeasurement: Equatable {
        public var every: Int
        public var perLearningRate: Bool
        /// `groups: N`: choose N task groups (nil: no grouping).
        public var groups: Int?
        /// `partition: true`: the groups must be disjoint (TAG lets a task be in several).
        public var partition: Bool
        /// `normalised: true`: group on the matrix divided by each target's self-transference.
        public var normalised: Bool

        public init(every: Int = 10, perLearningRate: Bool = false, groups: Int? = nil, partition: Bool = false, normalised: Bool = false) {
            self.every = every
            self.perLearningRate = perLearningRate
            self.groups = groups
            self.partition = partition
            self.normalised = normalised
        }
    }
    /// Every section that changes a run's numbers (all but `name`, `output`, `checkpoint_every`),
    /// in a canonical text form: a checkpoint stores it, and a resume against a recipe whose
    /// fingerprint differs is refused, naming the sections.
    public var fingerprint: [String: String]

    public static let sections = ["name", "seed", "output", "dataset", "tasks", "model", "strategy", "optimizer",
                                  "heads_optimizer", "strategy_optimizer", "budget", "labels", "evaluation", "checkpoint_every", "transference",
                                  "pretraining"]

    /// Loads and checks a recipe file (with `base:` and `key.path=value` overrides).
    public static func load(_ path: String, overrides: [String] = []) throws -> Recipe {
        try Recipe(node: RecipeDocument.load(path, overrides: overrides), file: path)
    }

    public init(node: YAMLNode, file: String) throws {
        let root = try MappingReader(node, section: "the recipe")
        self.file = file
        let nameNode = root.optional("name")
        name = try nameNode.map { try MappingReader.text($0, what: "name") }
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let problem = RunName.problem(with: name) {
            throw nameNode.map { RecipeError(location: $0.location, message: problem) }
                ?? RecipeError(file: file, line: 1, column: 1, message: "\(problem) (the name comes from the file name; add `name:`)")
        }
        seed = UInt64(try root.optional("seed").map { try MappingReader.integer($0, what: "seed", range: 0...Int.max) } ?? 0)
        output = try root.optional("output").map { node in
            let text = try MappingReader.text(node, what: "output")
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RecipeError(location: node.location, message: "output must be a folder path, found an empty value")
            }
            if let problem = RunFolderPath.problem(with: text) { throw RecipeError(location: node.location, message: problem) }
            return text
        } ?? "runs/\(name)"
        dataset = try ComponentChoice.read(try root.required("dataset", expected: "the dataset, e.g. `dataset: synthetic-scenes`"), section: "dataset")
        model = try ComponentChoice.read(try root.required("model", expected: "the model, e.g. `model: {name: splitvgg, split: 3}`"), section: "model")
        modelWeights = nil
        if case let .mapping(entries, location)? = model.options, let weights = entries.first(where: { $0.key == "weights" }) {
            let path = try MappingReader.text(weights.value, what: "model.weights")
            guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RecipeError(location: weights.value.location, message: "model.weights must name a safetensors file, found an empty value")
            }
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
            modelWeights = (path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path, weights.value.location)
            model.options = .mapping(entries.filter { $0.key != "weights" }, location)
        }
        strategy = try ComponentChoice.read(try root.required("strategy", expected: "the strategy, e.g. `strategy: pcgrad`"), section: "strategy")

        let budget = try MappingReader(try root.required("budget", expected: "`steps:` (or `epochs:`) and `batch_size:`"), section: "budget")
        let stepsNode = budget.optional("steps"), epochsNode = budget.optional("epochs")
        switch (stepsNode, epochsNode) {
        case let (stepsNode?, nil):
            steps = try MappingReader.integer(stepsNode, what: "budget.steps", range: 1...100_000_000)
            epochs = nil
        case let (nil, epochsNode?):
            steps = 0
            epochs = try MappingReader.integer(epochsNode, what: "budget.epochs", range: 1...1_000_000)
        case (_?, _?):
            throw RecipeError(location: budget.location, message: "budget takes `steps:` or `epochs:`, not both")
        case (nil, nil):
            throw RecipeError(location: budget.location, message: "budget needs `steps:` (training steps) or `epochs:` (passes over the training split)")
        }
        batchSize = try MappingReader.integer(try budget.required("batch_size", expected: "training batch size"), what: "budget.batch_size", range: 1...100_000)
        let largest = batchSize
        microBatches = MicroBatches(count: try budget.optional("micro_batches").map {
            try MappingReader.integer($0, what: "budget.micro_batches (at most budget.batch_size, \(largest))", range: 1...largest)
        } ?? 1)
        try budget.finish()

        let tasksNode = try root.required("tasks", expected: "a list of tasks with roles, e.g. `- {name: depth, role: auxiliary}`")
        tasks = try MappingReader.list(tasksNode, what: "tasks").map { item in
            if case let .scalar(name, location, _) = item { return TaskChoice(name: name, role: .primary, location: location) }
            let reader = try MappingReader(item, section: "a task")
            let nameNode = try reader.required("name", expected: "the task's name")
            let role = try reader.optional("role").map {
                TaskRole(rawValue: try MappingReader.choice($0, what: "task role", from: TaskRole.allCases.map(\.rawValue)))!
            } ?? .primary
            let frozen = try reader.optional("frozen").map { try MappingReader.boolean($0, what: "task frozen") } ?? false
            try reader.finish()
            return TaskChoice(name: try MappingReader.text(nameNode, what: "task name"), role: role, location: nameNode.location, frozen: frozen)
        }
        if tasks.isEmpty { throw RecipeError(location: tasksNode.location, message: "tasks must list at least one task") }
        if let duplicate = Dictionary(grouping: tasks, by: \.name).first(where: { $0.value.count > 1 }) {
            throw RecipeError(location: duplicate.value[1].location, message: "task '\(duplicate.key)' is listed twice")
        }
        if !tasks.contains(where: { $0.role == .primary }) {
            throw RecipeError(location: tasksNode.location, message: "at least one task must have role primary")
        }

        let main = try root.optional("optimizer").map { try OptimizerChoice.read($0, section: "optimizer") } ?? OptimizerChoice()
        optimizer = main
        headsOptimizer = try root.optional("heads_optimizer").map { try OptimizerChoice.read($0, section: "heads_optimizer", inheriting: main) } ?? main
        strategyOptimizer = try root.optional("strategy_optimizer").map { try OptimizerChoice.read($0, section: "strategy_optimizer", inheriting: main) } ?? main
        strategyOptimizerIsGiven = root.optional("strategy_optimizer") != nil

        if let labelsNode = root.optional("labels") {
            let labels = try MappingReader(labelsNode, section: "labels")
            parallelFraction = try labels.optional("parallel_fraction").map { try MappingReader.number($0, what: "labels.parallel_fraction", range: 0.001...1) }
            alternateEvery = try labels.optional("alternate_every").map { try MappingReader.integer($0, what: "labels.alternate_every", range: 1...10_000) }
            try labels.finish()
            if (parallelFraction == nil) != (alternateEvery == nil) {
                throw RecipeError(location: labelsNode.location, message: "labels needs both parallel_fraction and alternate_every (the TMT limited-label setting)")
            }
            // With alternate_every 1 every batch is parallel (TMT's "Primary only": the primary task on X alone).
            if parallelFraction != nil, (alternateEvery ?? 0) > 1, !tasks.contains(where: { $0.role == .auxiliary }) {
                throw RecipeError(location: labelsNode.location,
                                  message: "labels (the limited-label setting) needs at least one task with role auxiliary: its batches between the parallel ones carry only auxiliary labels")
            }
        } else {
            parallelFraction = nil
            alternateEvery = nil
        }

        var evaluateEvery: Int? = nil, evaluationBatchSize = 16, selection = ModelSelection.last, criterion = "loss", patience: Int? = nil
        if let evaluationNode = root.optional("evaluation") {
            let evaluation = try MappingReader(evaluationNode, section: "evaluation")
            evaluateEvery = try evaluation.optional("every").map { try MappingReader.integer($0, what: "evaluation.every", range: 1...Int.max) }
            if let unitNode = evaluation.optional("every_unit") {
                evaluateEveryInEpochs = try MappingReader.choice(unitNode, what: "evaluation.every_unit", from: ["steps", "epochs"]) == "epochs"
                guard evaluateEvery != nil else {
                    throw RecipeError(location: unitNode.location, message: "evaluation.every_unit needs `every:` (how many steps or epochs between evaluations)")
                }
            }
            if let averagingNode = evaluation.optional("metric_averaging") {
                metricAveraging = MetricAveraging(rawValue: try MappingReader.choice(averagingNode, what: "evaluation.metric_averaging",
                                                                                     from: MetricAveraging.allCases.map(\.rawValue)))!
            }
            evaluationBatchSize = try evaluation.optional("batch_size").map { try MappingReader.integer($0, what: "evaluation.batch_size", range: 1...100_000) } ?? 16
            let windowNode = evaluation.optional("window")
            if let selectionNode = evaluation.optional("selection") {
                switch try MappingReader.choice(selectionNode, what: "evaluation.selection", from: ["last", "best", "window"]) {
                case "best": selection = .best
                case "window":
                    selection = .consecutiveWindow(try windowNode.map { try MappingReader.integer($0, what: "evaluation.window", range: 1...10_000) } ?? 10)
                default: selection = .last
                }
            }
            if let windowNode, selection == .last || selection == .best {
                throw RecipeError(location: windowNode.location,
                                  message: "evaluation.window only applies to `selection: window`; add that selection or remove `window:`")
            }
            criterion = try evaluation.optional("criterion").map { try MappingReader.text($0, what: "evaluation.criterion") } ?? "loss"
            if let patienceNode = evaluation.optional("patience") {
                patience = try MappingReader.integer(patienceNode, what: "evaluation.patience", range: 1...100_000)
                guard evaluateEvery != nil else {
                    throw RecipeError(location: patienceNode.location,
                                      message: "evaluation.patience (early stopping) needs `every:` too: without it the run is evaluated only at its end")
                }
            }
            try evaluation.finish()
        }
        self.evaluateEvery = evaluateEvery
        self.evaluationBatchSize = evaluationBatchSize
        self.selection = selection
        self.criterion = criterion
        self.patience = patience
        checkpointEvery = try root.optional("checkpoint_every").map { try MappingReader.integer($0, what: "checkpoint_every", range: 1...Int.max) }
        if let node = root.optional("transference") {
            let reader = try MappingReader(node, section: "transference")
            let every = try reader.optional("every").map { try MappingReader.integer($0, what: "transference.every", range: 1...Int.max) } ?? 10
            let perRate = try reader.optional("per_learning_rate").map { try MappingReader.boolean($0, what: "transference.per_learning_rate") } ?? false
            let groups = try reader.optional("groups").map { try MappingReader.integer($0, what: "transference.groups", range: 1...Int.max) }
            var grouping: [String: Bool] = [:]
            for key in ["partition", "normalised"] {
                guard let flag = reader.optional(key) else { continue }
                guard groups != nil else {
                    throw RecipeError(location: flag.location, message: "transference.\(key) says how tasks are grouped: it needs `groups: N` in the same section")
                }
                grouping[key] = try MappingReader.boolean(flag, what: "transference.\(key)")
            }
            try reader.finish()
            transference = TransferenceMeasurement(every: every, perLearningRate: perRate, groups: groups,
                                                   partition: grouping["partition"] ?? false, normalised: grouping["normalised"] ?? false)
        } else {
            transference = nil
        }
        let pretrainingNode = root.optional("pretraining")
        try root.finish()
        if let pretrainingNode {
            let document = try Recipe.pretrainingDocument(recipe: node, section: pretrainingNode, tasks: tasks)
            let phase = try Recipe(node: document, file: file)
            guard phase.evaluateEvery != nil else {
                throw RecipeError(location: pretrainingNode.location,
                                  message: "pretraining needs `evaluation: {every: N}` (here or in the recipe's evaluation): early stopping keeps the encoder of the evaluation with the lowest auxiliary validation criterion")
            }
            pretrainingDocument = document
            tasks = tasks.filter { $0.role == .primary }
            if parallelFraction != nil { alternateEvery = 1 }
        } else {
            pretrainingDocument = nil
        }
        var fingerprint: [String: String] = [:]
        if case let .mapping(entries, _) = node {
            for entry in entries where !["name", "output", "checkpoint_every"].contains(entry.key) {
                let value: YAMLNode
                if ["dataset", "model", "strategy"].contains(entry.key), case let .scalar(name, location, plain) = entry.value {
                    value = .mapping([("name", location, .scalar(name, location, plain: plain))], location)  // `x` ≡ `{name: x}`
                } else {
                    value = entry.value
                }
                fingerprint[entry.key] = value.canonicalText
            }
        }
        self.fingerprint = fingerprint
    }
}
