import Foundation
import TandemCore

/// What `tandem suite SUITE --slurm` asks of Slurm.
public struct SlurmSettings: Equatable, Sendable {
    /// `--partition`; the cluster's default when `nil`.
    public var partition: String?
    /// The time limit of a cell that costs as much as equal weighting; dearer cells get this times
    /// their `StrategyCost` factor. The partition's default when `nil`.
    public var timePerCell: SlurmDuration?
    /// The `%k` throttle: at most this many tasks of each array at once (with `timePerCell`, each
    /// cost class is its own array).
    public var maxRunning: Int?
    public var cpusPerTask: Int
    /// `--mem` per task (sbatch syntax, e.g. `4G`); the cluster's default when `nil`.
    public var memory: String?
    /// `nil`: one array task per cell; `n`: n tasks, task i running shard i/n.
    public var shards: Int?
    /// Processes (MPI ranks, `srun --mpi=pmix`) per cell: each array task is an N-task job whose
    /// ranks train the cell's run together (`docs/distributed.md`); 1: one process per cell.
    public var ranksPerCell: Int

    public init(partition: String? = nil, timePerCell: SlurmDuration? = nil, maxRunning: Int? = nil, cpusPerTask: Int = 1,
                memory: String? = nil, shards: Int? = nil, ranksPerCell: Int = 1) {
        self.partition = partition
        self.timePerCell = timePerCell
        self.maxRunning = maxRunning
        self.cpusPerTask = cpusPerTask
        self.memory = memory
        self.shards = shards
        self.ranksPerCell = ranksPerCell
    }

    /// Checks the values that are written into the scripts' `#SBATCH` lines: `--partition` is a
    /// comma-separated list of partition names, `--memory` a whole number with an optional K, M, G
    /// or T; anything else (a newline or shell metacharacter above all) is refused, naming the flag.
    public func validate() throws {
        let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        if let partition {
            let names = partition.split(separator: ",", omittingEmptySubsequences: false)
            guard names.allSatisfy({ !$0.isEmpty && $0.allSatisfy(nameCharacters.contains) }) else {
                throw CommandError("--partition must be a partition name (or names separated by commas) of letters, digits and -_., "
                                   + "found \(SlurmDirective.visible(partition))")
            }
        }
        if let memory {
            let digits = memory.last.map { "KMGTkmgt".contains($0) } == true ? memory.dropLast() : Substring(memory)
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw CommandError("--memory must be a size in sbatch syntax, a whole number with an optional K, M, G or T (e.g. 4G), "
                                   + "found \(SlurmDirective.visible(memory))")
            }
        }
    }
}

/// The job arrays and the merging report job of a suite run on Slurm: one array of the unfinished
/// cells (one per cost class when a time limit is given, each with the limit times its cost) (`SLURM_ARRAY_TASK_ID` = the cell's stable index in `Suite.cells()`), or
/// one array of shards, plus a job that runs `tandem report` once every array has ended
/// (`--dependency=afterany:…`, so a failed cell still gets its table, listing what did not finish).
public struct SlurmJobArrays: Equatable {
    public struct ArrayJob: Equatable {
        /// `cells-cost1.0` or `shards`: the script is `slurm/<name>.sbatch`.
        public var name: String
        /// The array indices: cell indices, or shard numbers 1…n.
        public var taskIDs: [Int]
        /// The cells each task runs, by identifier (one per task in cell mode).
        public var cellsByTask: [Int: [String]]
        public var costFactor: Double
        public var time: SlurmDuration?
        public var script: String

        /// `0-3,5,7-9%2`.
        public var arraySpecification: String
    }

    public var arrays: [ArrayJob]
    public var reportScript: String
    /// Every cell of the suite and whether it was already finished (those are not submitted).
    public var finishedCount: Int
    public var cellCount: Int

    /// Plans the arrays for the unfinished `cells` of `runner`'s suite, costing each cell's strategy
    /// from the runner's registry. `executable` is the absolute path of the executable the jobs run
    /// (`tandem`, or a downstream executable built on `TandemCLI`); `workingDirectory` is where the
    /// jobs start (relative paths resolve there).
    public init(runner: SuiteRunner, cells: [Suite.Cell], settings: SlurmSettings, executable: String,
                workingDirectory: String) throws {
        let registry = runner.registry
        let suite = runner.suite
        try settings.validate()
        let pending = cells.filter { !runner.isFinished($0) }
        if settings.ranksPerCell > 1 {
            // Each rank computes whole micro-batches: refuse now what every rank would refuse later.
            for cell in pending {
                let recipe = try Recipe.load(cell.recipePath, overrides: suite.overrides + cell.overrides)
                guard recipe.microBatches.count >= settings.ranksPerCell else {
                    throw CommandError("--ranks-per-cell \(settings.ranksPerCell): cell \(cell.identifier) has budget.micro_batches \(recipe.microBatches.count); "
                                       + "each rank computes whole micro-batches, so set budget.micro_batches to at least \(settings.ranksPerCell)")
                }
            }
        }
        finishedCount = cells.count - pending.count
        cellCount = cells.count
        let output = runner.outputFolder.standardizedFileURL.path
        let suiteFile = URL(fileURLWithPath: suite.file).standardizedFileURL.path
        let logFolder = output + "/slurm/logs"

        // Every value of an `#SBATCH` line is checked (`SlurmDirective`): none can start a command.
        let chdirLine = try SlurmDirective.line("chdir", workingDirectory, source: "the working directory")
        let partitionLine = try settings.partition.map { try SlurmDirective.line("partition", $0, source: "--partition") }
        let memoryLine = try settings.memory.map { try SlurmDirective.line("mem", $0, source: "--memory") }
        let taskOutputLine = try SlurmDirective.line("output", "\(logFolder)/%A_%a.out", source: "the output folder's log path")
        let reportOutputLine = try SlurmDirective.line("output", "\(logFolder)/report_%j.out", source: "the output folder's log path")
        // The executable's name is only a label in a comment line: no character of it can end the comment.
        let executableName = SlurmDirective.label(URL(fileURLWithPath: executable).lastPathComponent)
        func header(jobName: String, time: SlurmDuration?) -> [String] {
            var lines = ["#!/bin/bash", "# Written by `\(executableName) suite --slurm`; submit with sbatch (\(executableName) does).",
                         "#SBATCH --job-name=\(jobName)", chdirLine]
            if let partitionLine { lines.append(partitionLine) }
            if let time { lines.append("#SBATCH --time=\(time)") }
            return lines
        }
        let command = ([executable, "suite", suiteFile] + suite.overrides + ["--output", output]).map(SlurmJobArrays.quoted).joined(separator: " ")
        func taskScript(jobName: String, array: String, time: SlurmDuration?, selection: String) -> String {
            var lines = header(jobName: jobName, time: time)
            lines += ["#SBATCH --array=\(array)", "#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
                      taskOutputLine]
            if settings.ranksPerCell > 1 { lines.append("#SBATCH --ntasks=\(settings.ranksPerCell)") }
            if let memoryLine { lines.append(memoryLine) }
            lines += ["set -euo pipefail",
                      "# One kernel thread per allotted CPU, as `tandem suite --jobs` gives each child its share.",
                      "export TANDEM_THREADS=\"${SLURM_CPUS_PER_TASK:-\(settings.cpusPerTask)}\"",
                      "export OPENBLAS_NUM_THREADS=\"$TANDEM_THREADS\"",
                      "# Every node computes with the submitter's numerics policy (portable: the same bits on any AVX2 node).",
                      "export \(NumericsPolicy.environmentVariable)=\((try? NumericsPolicy.requested()) ?? NumericsPolicy.defaultPolicy)",
                      "export \(ConvolutionBackend.environmentVariable)=\(ConvolutionBackend.current.rawValue)",
                      settings.ranksPerCell > 1
                        ? "# \(settings.ranksPerCell) MPI ranks train each cell together; the numbers do not depend on how many.\nexec srun --mpi=pmix \(command) \(selection) --no-report"
                        : "exec \(command) \(selection) --no-report", ""]
            return lines.joined(separator: "\n")
        }
        let throttle = settings.maxRunning.map { "%\($0)" } ?? ""
        let jobName = SlurmDirective.jobName(suite.name)

        var arrays: [ArrayJob] = []
        if let shards = settings.shards {
            var byShard: [Int: [String]] = [:]
            var costByShard: [Int: Double] = [:]
            for cell in pending {
                let shard = cell.index % shards + 1
                byShard[shard, default: []].append(cell.identifier)
                costByShard[shard, default: 0] += try SlurmJobArrays.cost(of: cell, suite: suite, registry: registry)
            }
            let ids = byShard.keys.sorted()
            if !ids.isEmpty {
                let factor = costByShard.values.max() ?? 1
                let time = settings.timePerCell?.scaled(by: factor)
                let specification = SlurmJobArrays.ranges(ids) + throttle
                arrays.append(ArrayJob(name: "shards", taskIDs: ids, cellsByTask: byShard, costFactor: factor, time: time,
                                       script: taskScript(jobName: jobName, array: specification, time: time,
                                                          selection: "--shard \"$SLURM_ARRAY_TASK_ID/\(shards)\""),
                                       arraySpecification: specification))
            }
        } else {
            // With a time limit, one array per cost class (rounded up to halves), each with its own
            // limit; without one, cost changes nothing and all cells share one array (one throttle).
            var classes: [Double: [Suite.Cell]] = [:]
            for cell in pending {
                let factor = settings.timePerCell == nil ? 1
                    : (try SlurmJobArrays.cost(of: cell, suite: suite, registry: registry) * 2).rounded(.up) / 2
                classes[factor, default: []].append(cell)
            }
            for factor in classes.keys.sorted() {
                let members = classes[factor]!
                let ids = members.map(\.index)
                let time = settings.timePerCell?.scaled(by: factor)
                let specification = SlurmJobArrays.ranges(ids) + throttle
                arrays.append(ArrayJob(name: settings.timePerCell == nil ? "cells" : String(format: "cells-cost%.1f", factor), taskIDs: ids,
                                       cellsByTask: Dictionary(uniqueKeysWithValues: members.map { ($0.index, [$0.identifier]) }),
                                       costFactor: factor, time: time,
                                       script: taskScript(jobName: jobName, array: specification, time: time,
                                                          selection: "--cell \"$SLURM_ARRAY_TASK_ID\""),
                                       arraySpecification: specification))
            }
        }
        self.arrays = arrays
        var report = header(jobName: "\(jobName)-report", time: settings.timePerCell.map { _ in SlurmDuration(seconds: 1800) })
        report += ["#SBATCH --cpus-per-task=1", reportOutputLine, "set -euo pipefail",
                   "exec \([executable, "report", output].map(SlurmJobArrays.quoted).joined(separator: " "))", ""]
        reportScript = report.joined(separator: "\n")
    }

    /// A cell's `StrategyCost` factor (1 for single-task baselines, which train with equal weighting).
    static func cost(of cell: Suite.Cell, suite: Suite, registry: Registry) throws -> Double {
        try StrategyCost.factor(of: try Recipe.load(cell.recipePath, overrides: suite.overrides + cell.overrides), registry: registry)
    }

    /// Sorted indices as Slurm ranges: `[0, 1, 2, 5, 7, 8]` → `0-2,5,7-8`.
    public static func ranges(_ indices: [Int]) -> String {
        var parts: [String] = []
        var sorted = Array(Set(indices)).sorted()[...]
        while let start = sorted.popFirst() {
            var end = start
            while sorted.first == end + 1 { end = sorted.popFirst()! }
            parts.append(end == start ? "\(start)" : "\(start)-\(end)")
        }
        return parts.joined(separator: ",")
    }

    /// `text` as one shell word.
    public static func quoted(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        return !text.isEmpty && text.allSatisfy(safe.contains) ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
