import ArgumentParser
import Foundation
import Tandem
import TandemCore

/// `tandem train RECIPE [key.path=value …]`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one recipe, with checkpoints, progress and a result.json.",
        discussion: "Overrides set any recipe field, e.g. `tandem train r.yaml strategy=pcgrad budget.steps=500 seed=2`.")

    @Argument(help: "The recipe (YAML).") var recipe: String
    @Argument(help: "Overrides as key.path=value.") var overrides: [String] = []
    @Flag(help: "Continue from the run's last checkpoint if there is one.") var resume = false
    @OptionGroup(title: "Numerics") var numerics: NumericsOption
    @Option(help: "Write the run to this folder instead of the recipe's `output`.") var output: String?
    @Flag(help: "No progress output (only the final metrics).") var quiet = false
    @Option(help: "When standard error is not a terminal, print a plain progress line every N steps (default: a tenth of the run, at most 100).") var progressEvery: Int?

    func validate() throws {
        if let progressEvery, progressEvery < 1 { throw ValidationError("--progress-every must be at least 1, found \(progressEvery)") }
    }

    func run() throws {
        ParentDeathSignal.stopWithParent()   // a suite's child stops when the suite does
        setvbuf(stdout, nil, _IOLBF, 0)
        // Under `mpirun -np N` or `srun`: one of N processes of the run (docs/distributed.md).
        try inProcessGroup(train)
    }

    /// Trains as one process of `group`: rank 0 reports progress and the result, and writes the run.
    func train(in group: ProcessGroup) throws {
        let speaks = group.isWriter
        let experiment: Experiment
        do {
            if let output, output.trimmingCharacters(in: .whitespaces).isEmpty {
                throw CommandError("--output needs a folder path, found an empty value")
            }
            let loaded = try Recipe.load(recipe, overrides: overrides)
            experiment = try Experiment(recipe: loaded, registry: CommandEnvironment.registry, outputFolder: output.map { URL(fileURLWithPath: $0) },
                                        processGroup: group)
        } catch let error as RecipeError {
            throw inputError(group.named(error.description))
        } catch let error as CommandError {
            throw inputError(group.named(error.message))
        } catch {
            throw runError(error, rank: group.label)
        }
        let total = experiment.trainer.configuration.steps
        let bar = ProgressLine(total: total, enabled: !quiet && speaks, plainEvery: progressEvery ?? max(1, min(100, total / 10)))
        // Transfer learning: the pre-training phase gets its own line, ended when fine-tuning starts.
        var phaseBar: ProgressLine? = nil
        let result: Experiment.Result
        do {
            result = try experiment.run(resume: resume, progress: { record in
                if let ended = phaseBar { ended.finish(); phaseBar = nil; bar.restart() }
                bar.update(record)
            }, pretrainingProgress: { [quiet, progressEvery] phase in
                let steps = phase.trainer.configuration.steps
                if !quiet && speaks { FileHandle.standardError.write(Data("pre-training phase: \(phase.outputFolder.path)\n".utf8)) }
                let line = ProgressLine(total: steps, enabled: !quiet && speaks, plainEvery: progressEvery ?? max(1, min(100, steps / 10)))
                phaseBar = line
                return { record in line.update(record) }
            })
        } catch {
            phaseBar?.finish()
            bar.finish()
            // Any rank may fail on its own (its files, its memory): it says which.
            throw runError(error, rank: group.label)
        }
        phaseBar?.finish()
        bar.finish()
        guard speaks else { return }
        print("run: \(experiment.outputFolder.path)\(group.size > 1 ? " (\(group.size) processes)" : "")")
        for split in ["validation", "test"] {
            guard let tasks = result.metrics[split] else { continue }
            for task in experiment.tasks {
                guard let metrics = tasks[task.name] else { continue }
                var shown = metrics.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: ", ")
                if let note = StandardMetrics.note(for: task.kind, results: metrics) { shown += " — \(note)" }
                print("  \(split) \(task.name): \(shown)")
            }
        }
        print(String(format: "  %.1f ms per step", result.secondsPerStep * 1000))
    }
}

/// Prints a failure during a run plainly (the file and the reason, never a raw Foundation error
/// dump), after `rank` when one process of several failed, and returns exit code 1.
func runError(_ error: Error, rank: String? = nil) -> ExitCode {
    let text: String
    switch error {
    case let error as CommandError: text = error.message
    case let error as RecipeError: text = error.description
    default:
        let described = "\(error)"
        // Foundation's errors describe themselves as "Error Domain=NSCocoaErrorDomain Code=…".
        text = described.contains("Domain=") ? FileProblem.reason(error) : described
    }
    let line = text.hasPrefix("error: ") || text.contains(": error: ") ? text : "error: \(text)"
    FileHandle.standardError.write(Data("\(rank.map { "\($0): " } ?? "")\(line)\n".utf8))
    return ExitCode(1)
}

/// Progress of a run on standard error: on a terminal one updating line (bar, step, losses, speed,
/// ETA); elsewhere (a pipe, a file, a Slurm log) a plain line every `plainEvery` steps and at the end.
final class ProgressLine {
    let total: Int
    let enabled: Bool
    let terminal: Bool
    let plainEvery: Int
    var started = Date()
    var first: Int?
    var lastDraw = Date.distantPast

    init(total: Int, enabled: Bool, plainEvery: Int) {
        self.total = total
        self.enabled = enabled
        self.terminal = isatty(STDERR_FILENO) != 0
        self.plainEvery = max(1, plainEvery)
    }

    func update(_ record: StepRecord) {
        guard enabled else { return }
        if first == nil { first = record.step }
        let done = record.step + 1
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done - first!) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let losses = record.losses.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: "  ")
        if !terminal {
            guard done % plainEvery == 0 || done == total else { return }
            let line = String(format: "step %d/%d  %@  %.2f step/s  ETA %@\n", done, total, losses, rate, ProgressLine.clock(eta))
            FileHandle.standardError.write(Data(line.utf8))
            return
        }
        guard Date().timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = Date()
        let width = 24, filled = Int(Double(width) * Double(done) / Double(total))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %d/%d  %@  %.1f step/s  ETA %@ ", bar, done, total, losses, rate, ProgressLine.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Measures speed and ETA from now (after a phase that ran before the first step of this line).
    func restart() {
        started = Date()
        first = nil
    }

    func finish() { if enabled && terminal { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
