import ArgumentParser
import Foundation
import Tandem
import TandemCore
import TandemStrategies

/// `tandem affinity RECIPE`: inter-task transference measured during a run, and task groupings.
struct Affinity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure inter-task transference Z_{i→j} during a run (every k steps), write CSV and heat maps, and choose task groups (TAG).",
        discussion: """
        Trains the recipe with its strategy and, every --every steps, measures for each task i the \
        transference Z_{i→j} = 1 − L_j(θ_s after a step on g_i alone)/L_j(θ_s) onto every task j, on \
        the same minibatch, through the real optimiser (its state untouched). Writes affinity.csv, \
        affinity-normalised.svg (over training, each column divided by its self-transference), \
        affinity.svg and affinity-over-training.svg into the run's folder. With --groups N (or the \
        recipe's transference.groups), prints the N task groups maximising each task's mean affinity \
        from its group (exact search, up to 12 tasks); --suite FILE writes a suite that trains those \
        groups. When the data set declares its true task groups (task-groups does), also prints \
        `adjusted Rand index: X` of the chosen grouping — each task in the group that serves it — \
        against them. --records reads a finished run's records (any run with a `transference:` \
        section) instead of training; give the recipe too for its grouping settings and true groups.
          tandem affinity recipes/nyuv2.yaml --every 10 --per-learning-rate --groups 2
          tandem affinity recipes/known-answer-affinity.yaml seed=1 dataset.seed=1
        """)

    @Argument(help: "The recipe (YAML); not needed with --records.") var recipe: String?
    @Argument(help: "Overrides as key.path=value.") var overrides: [String] = []
    @Option(help: "Measure every this many steps (default: the recipe's transference.every, else 10).") var every: Int?
    @OptionGroup(title: "Numerics") var numerics: NumericsOption
    @Flag(help: "Divide Z by the shared learning rate (TAG's affinity).") var perLearningRate = false
    @Option(help: "Read measurements from this records.jsonl instead of training.") var records: String?
    @Option(help: "Choose this many task groups (default: the recipe's transference.groups, else none).") var groups: Int?
    @Flag(inversion: .prefixedNo,
          help: "Groups must be disjoint (default: the recipe's transference.partition, else false: a task may be in several groups, as in TAG).")
    var partition: Bool?
    @Flag(inversion: .prefixedNo,
          help: "Group on the self-normalised matrix instead of the raw one (default: the recipe's transference.normalised, else false).")
    var normalised: Bool?
    @Option(help: "Write a suite training the chosen groups to this file.") var suite: String?
    @Option(help: "Write the run and the files to this folder (default: the recipe's output; with --records, its folder).") var output: String?
    @Flag(help: "Print one line per measurement only.") var quiet = false

    func run() throws {
        do {
            let affinity: TaskAffinity, folder: URL
            var settings: Recipe.TransferenceMeasurement?, trueGroups: [[String]]?
            if let records {
                let url = URL(fileURLWithPath: records)
                folder = output.map { URL(fileURLWithPath: $0) } ?? url.deletingLastPathComponent()
                affinity = try TaskAffinity(records: TransferenceAffinityFiles.readRecords(url))
                if let recipe {
                    let loaded = try Recipe.load(recipe, overrides: overrides)
                    settings = loaded.transference
                    trueGroups = try Experiment.trueTaskGroups(of: loaded, registry: CommandEnvironment.registry)
                }
            } else {
                guard let recipe else { throw CommandError("give a recipe to train, or --records FILE of a finished run") }
                if let every, every < 1 { throw CommandError("--every must be at least 1") }
                let (experiment, stepRecords) = try TransferenceAffinityFiles.measure(
                    recipePath: recipe, overrides: overrides, every: every, perLearningRate: perLearningRate ? true : nil,
                    output: output.map { URL(fileURLWithPath: $0) }, registry: CommandEnvironment.registry, progress: { record in
                        guard !quiet || record.reports.keys.contains(where: { $0.hasPrefix("affinity.") }) else { return }
                        if record.reports.keys.contains(where: { $0.hasPrefix("affinity.") }) {
                            let pairs = record.reports.filter { $0.key.hasPrefix("affinity.") }.sorted { $0.key < $1.key }
                                .map { "\($0.key.dropFirst(9)) \(String(format: "%.4g", $0.value))" }
                            print("step \(record.step): " + pairs.joined(separator: ", "))
                        }
                    })
                folder = experiment.outputFolder
                affinity = try TaskAffinity(records: stepRecords, tasks: experiment.tasks.map(\.name))
                settings = experiment.recipe.transference
                trueGroups = experiment.trueTaskGroups
            }
            let files = try TransferenceAffinityFiles.write(affinity, to: folder, perLearningRate: perLearningRate)
            print(matrixText("Z_{i→j} over training (rows: source i, columns: target j)", affinity.tasks, affinity.overall))
            print(matrixText("normalised by self-transference (Fig. 1)", affinity.tasks, affinity.normalisedBySelf))
            for file in files { print("wrote \(file.path)") }
            if let groups = groups ?? settings?.groups {
                let partition = self.partition ?? settings?.partition ?? false
                let normalised = self.normalised ?? settings?.normalised ?? false
                let matrix = normalised ? affinity.normalisedBySelf : affinity.overall
                let grouping = try TaskGrouping.best(affinity: matrix, groupCount: groups, partition: partition)
                print("best \(groups) group\(groups == 1 ? "" : "s")\(partition ? " (a partition)" : ""): total affinity \(String(format: "%.6g", grouping.score))")
                for (index, group) in grouping.groups.enumerated() {
                    let served = affinity.tasks.indices.filter { grouping.servingGroups[$0] == index }
                    print("  {\(group.map { affinity.tasks[$0] }.joined(separator: ", "))}: serves "
                          + served.map { "\(affinity.tasks[$0]) (\(String(format: "%.4g", grouping.taskScores[$0])))" }.joined(separator: ", "))
                }
                if let trueGroups {
                    let planted = try AdjustedRandIndex.labels(trueGroups, tasks: affinity.tasks, what: "the data set's true task groups")
                    let index = try AdjustedRandIndex.between(grouping.servingGroups, planted)
                    print("adjusted Rand index: \(String(format: "%.4f", index))")
                    print("  (each task in the group that serves it, against the data set's true groups "
                          + trueGroups.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: " ") + ")")
                }
                if let suite {
                    guard let recipe else { throw CommandError("--suite needs the recipe the groups are trained with") }
                    let name = URL(fileURLWithPath: suite).deletingPathExtension().lastPathComponent
                    try TransferenceAffinityFiles.suite(for: grouping, tasks: affinity.tasks, recipePath: recipe, name: name)
                        .write(toFile: suite, atomically: true, encoding: .utf8)
                    print("wrote \(suite) (run it with `\(CommandEnvironment.commandName) suite \(suite)`)")
                }
            } else if suite != nil {
                throw CommandError("--suite needs --groups N (or transference.groups in the recipe)")
            }
        } catch let error as CommandError {
            throw inputError(error.message)
        } catch let error as RecipeError {
            throw inputError(error.description)
        } catch let error as StrategyMathError {
            throw inputError("\(error)")
        }
    }

    func matrixText(_ title: String, _ tasks: [String], _ matrix: [[Double]]) -> String {
        let width = max(10, (tasks.map(\.count).max() ?? 0) + 2)
        func pad(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = [title, pad("") + tasks.map(pad).joined()]
        for (i, task) in tasks.enumerated() {
            lines.append(pad(task) + matrix[i].map { pad($0.isFinite ? String(format: "%.4g", $0) : "n/a") }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
