import Foundation
import TandemCore
import TandemStrategies

/// The work behind `tandem affinity`: measures inter-task transference during a run (or reads it
/// from a run's step records), writes the matrices as CSV and SVG heat maps — Z_{i→j} over
/// training normalised by each target's self-transference (Fifty et al., Fig. 1) and the epoch
/// means over training (Fig. 2) — and chooses task groupings (TAG).
public enum TransferenceAffinityFiles {
    /// Trains `recipe` with transference measured every `every` steps (keeping a `transference:`
    /// section the recipe already has unless `every` is given) and returns the run's records.
    public static func measure(recipePath: String, overrides: [String], every: Int?, perLearningRate: Bool?,
                               output: URL?, registry: Registry = .standard,
                               progress: ((StepRecord) -> Void)? = nil) throws -> (experiment: Experiment, records: [StepRecord]) {
        var recipe = try Recipe.load(recipePath, overrides: overrides)
        var measurement = recipe.transference ?? Recipe.TransferenceMeasurement()
        if let every { measurement.every = every }
        if let perLearningRate { measurement.perLearningRate = perLearningRate }
        recipe.transference = measurement
        let experiment = try Experiment(recipe: recipe, registry: registry, outputFolder: output)
        try experiment.run(progress: progress)
        return (experiment, try readRecords(experiment.recordsURL))
    }

    /// The step records of a run (`records.jsonl`); errors name the file and line.
    public static func readRecords(_ url: URL) throws -> [StepRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) }
        catch { throw CommandError("cannot read \(url.path): \(error.localizedDescription)") }
        let decoder = JSONDecoder()
        var records: [StepRecord] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { records.append(try decoder.decode(StepRecord.self, from: line)) }
            catch { throw CommandError("\(url.path) line \(index + 1) is not a step record: \(ReportPlots.describe(error))") }
        }
        return records
    }

    /// `scope,source,target,transference,normalised`: one row per pair for every epoch (scope =
    /// the epoch) and over training (scope `overall`, with the value divided by the target's
    /// self-transference).
    public static func csv(_ affinity: TaskAffinity) -> String {
        var lines = ["scope,source,target,transference,normalised"]
        func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "" }
        for (epoch, matrix) in affinity.perEpoch {
            for (i, source) in affinity.tasks.enumerated() {
                for (j, target) in affinity.tasks.enumerated() { lines.append("\(epoch),\(source),\(target),\(number(matrix[i][j])),") }
            }
        }
        let overall = affinity.overall, normalised = affinity.normalisedBySelf
        for (i, source) in affinity.tasks.enumerated() {
            for (j, target) in affinity.tasks.enumerated() {
                lines.append("overall,\(source),\(target),\(number(overall[i][j])),\(number(normalised[i][j]))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `affinity.csv`, `affinity-normalised.svg` (Fig. 1), `affinity.svg` (the raw matrix)
    /// and `affinity-over-training.svg` (Fig. 2) into `folder`; returns the files.
    @discardableResult
    public static func write(_ affinity: TaskAffinity, to folder: URL, perLearningRate: Bool) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let quantity = perLearningRate ? "Z_{i→j}/η" : "Z_{i→j}"
        var files: [(String, String)] = [("affinity.csv", csv(affinity))]
        files.append(("affinity-normalised.svg", SVGHeatMap(
            title: "Transference over training, each column ÷ its self-transference", rowTitle: "source task i (its gradient applied)",
            columnTitle: "target task j", rowLabels: affinity.tasks, columnLabels: affinity.tasks, values: affinity.normalisedBySelf).svg()))
        files.append(("affinity.svg", SVGHeatMap(
            title: "\(quantity), mean of the epoch means", rowTitle: "source task i", columnTitle: "target task j",
            rowLabels: affinity.tasks, columnLabels: affinity.tasks, values: affinity.overall).svg()))
        var series: [SVGPlot.Series] = []
        for (i, source) in affinity.tasks.enumerated() {
            for (j, target) in affinity.tasks.enumerated() {
                let points = affinity.perEpoch.map { (x: Double($0.epoch), y: $0.matrix[i][j]) }.filter { $0.y.isFinite }
                series.append(SVGPlot.Series(name: "\(source)→\(target)", points: points, dashed: i == j,
                                             colorIndex: i * affinity.tasks.count + j))
            }
        }
        files.append(("affinity-over-training.svg", SVGPlot(title: "\(quantity) over training (epoch means; dashed: self)", xLabel: "epoch",
                                                           yLabel: quantity, series: series).svg()))
        var urls: [URL] = []
        for (name, text) in files {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            urls.append(url)
        }
        return urls
    }

    /// A suite that trains each group of `grouping` as its own run of `recipePath` (criterion:
    /// the loss, since a group may not contain the recipe's criterion task).
    public static func suite(for grouping: TaskGrouping, tasks: [String], recipePath: String, name: String) -> String {
        let groups = grouping.groups.map { "[" + $0.map { tasks[$0] }.joined(separator: ", ") + "]" }
        return """
        # Task groups chosen by `tandem affinity --groups \(grouping.groups.count)` (TAG, Fifty et al. 2021);
        # total affinity \(grouping.score). Each group trains as one run of the base recipe.
        name: \(name)
        recipe: \(URL(fileURLWithPath: recipePath).standardizedFileURL.path)
        output: runs/\(name)
        matrix:
          tasks: [\(groups.joined(separator: ", "))]
          evaluation.criterion: [loss]
        baselines: false

        """
    }
}
