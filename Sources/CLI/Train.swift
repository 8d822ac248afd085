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
    @Option(help: "Write the run to this folder instead of the recipe's `output`.") var output: String?
    @Flag(help: "Print one line per evaluation only.") var quiet = false

    func run() throws {
        ParentDeathSignal.stopWithParent()   // a suite's child stops when the suite does
        setvbuf(stdout, nil, _IOLBF, 0)
        let experiment: Experiment
        do {
            let loaded = try Recipe.load(recipe, overrides: overrides)
            experiment = try Experiment(recipe: loaded, outputFolder: output.map { URL(fileURLWithPath: $0) })
        } catch let error as RecipeError {
            throw inputError(error.description)
        } catch let error as CommandError {
            throw inputError(error.message)
        }
        let total = experiment.trainer.configuration.steps
        let bar = ProgressLine(total: total, enabled: !quiet)
        let result = try experiment.run(resume: resume) { record in bar.update(record) }
        bar.finish()
        print("run: \(experiment.outputFolder.path)")
        for split in ["validation", "test"] {
            guard let tasks = result.metrics[split] else { continue }
            for task in experiment.tasks.map(\.name) {
                guard let metrics = tasks[task] else { continue }
                let shown = metrics.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: ", ")
                print("  \(split) \(task): \(shown)")
            }
        }
        print(String(format: "  %.1f ms per step", result.secondsPerStep * 1000))
    }
}

/// One updating terminal line: step, losses, speed and ETA.
final class ProgressLine {
    let total: Int
    let enabled: Bool
    let started = Date()
    var first: Int?
    var lastDraw = Date.distantPast

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled && isatty(STDERR_FILENO) != 0
    }

    func update(_ record: StepRecord) {
        if first == nil { first = record.step }
        let done = record.step + 1
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done - first!) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let losses = record.losses.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: "  ")
        let width = 24, filled = Int(Double(width) * Double(done) / Double(total))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %d/%d  %@  %.1f step/s  ETA %@ ", bar, done, total, losses, rate, ProgressLine.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
