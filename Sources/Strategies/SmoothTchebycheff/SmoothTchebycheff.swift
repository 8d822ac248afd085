import TandemCore

/// STCH — smooth Tchebycheff scalarisation (Lin, Zhang, Yang, Liu, Wang & Zhang, ICML 2024),
/// STRATEGIES.md §13m, loss-only (`SmoothTchebycheffScalarisation`). The default `recipe` form is
/// the STCH reference's (and LibMTL's) multi-task recipe: warm-up epochs on `Σ log L_t`, then
/// `T μ log Σ exp(log(L_t/n_t)/μ)` against the nadir n averaged over the last warm-up epoch;
/// `general` is the paper's `μ log Σ exp(λ_t L_t/μ)` with λ = 1/T (TorchJD's `STCH`).
public final class SmoothTchebycheff: LossWeighting, RegisteredStrategy {
    public enum Form: String, CaseIterable, Sendable { case recipe, general }

    public static let description = StrategyDescription(
        name: "stch", title: "STCH (smooth Tchebycheff scalarisation)",
        formula: "recipe: Σ_t log L_t during warm-up, then T μ log Σ_t exp(log(L_t/n_t)/μ); general: μ log Σ_t exp(L_t/(T μ))",
        paper: "Lin, Zhang, Yang, Liu, Wang & Zhang, \"Smooth Tchebycheff Scalarization for Multi-Objective Optimization\", ICML 2024",
        options: [
            OptionSpec("form", .choice(Form.allCases.map(\.rawValue)), default: .text("recipe"),
                       "recipe: the STCH reference / LibMTL warm-up + nadir recipe; general: the paper's form with λ = 1/T, z* = 0 (TorchJD)"),
            OptionSpec("mu", .number(1e-6...1e6), default: .number(1), "smoothing μ (→ 0: the Tchebycheff max)"),
            OptionSpec("warmup_epochs", .integer(0...100_000), default: .integer(4),
                       "recipe: epochs 0…warmup_epochs use Σ log L_t; the nadir is the mean batch loss of epoch warmup_epochs"),
        ],
        cost: "as EW",
        conventions: ["recipe: the detached max inside the log-sum-exp is not added back (value offset, same gradient), as the reference",
                      "recipe weights T·softmax(f/μ)_t/(L_t + 1e-20·n_t), f_t = log(L_t/n_t + 1e-20)"],
        behaviour: StrategyBehaviour())

    public let form: Form
    public let smoothing: Double
    public let taskNames: [String]
    public private(set) var schedule: SmoothTchebycheffScalarisation.NadirSchedule

    public init(tasks: [TaskSpec], form: Form = .recipe, smoothing: Double = 1, warmUpEpochs: Int = 4) {
        self.form = form
        self.smoothing = smoothing
        taskNames = tasks.map(\.name)
        schedule = .init(warmUpEpochs: warmUpEpochs, taskCount: tasks.count)
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, form: Form(rawValue: options.text("form")!)!, smoothing: options.number("mu")!,
                  warmUpEpochs: options.integer("warmup_epochs")!)
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let names = context.taskNames
        let losses = names.map { Double(context.losses[$0]!) }
        let w: [Double]
        switch form {
        case .general:
            w = try SmoothTchebycheffScalarisation.general(losses: losses, smoothing: smoothing).weights
        case .recipe:
            guard Set(names) == Set(taskNames) else {
                throw StrategyContractError(strategy: name, problem: "the recipe form needs every task in every batch (its nadir is per task), got \(names)")
            }
            // The schedule keeps the build-time task order.
            let ordered = taskNames.map { Double(context.losses[$0]!) }
            let byTask = Dictionary(uniqueKeysWithValues: zip(taskNames, try schedule.weights(losses: ordered, epoch: context.epoch, smoothing: smoothing).weights))
            w = names.map { byTask[$0]! }
        }
        return Dictionary(uniqueKeysWithValues: zip(names, w.map(Float.init)))
    }

    public func saveState() -> StrategyState {
        var numbers = ["sums": schedule.sums, "count": [Double(schedule.count)]]
        if let nadir = schedule.nadir { numbers["nadir"] = nadir }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        let sums = try state.numbers("sums", count: taskNames.count)
        let count = try state.numbers("count", count: 1)[0]
        let nadir = state.numbers["nadir"]
        schedule = try .init(warmUpEpochs: schedule.warmUpEpochs, sums: sums, count: Int(count), nadir: nadir)
    }
}
