import ArgumentParser
import Foundation
import Tandem

/// `tandem suite SUITE`: run every cell of a head-to-head suite and print the comparison table.
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run a suite (strategies × seeds × …), skipping finished cells, and print the comparison table.",
        discussion: """
        On a Slurm cluster, `--slurm` submits the unfinished cells as a job array (task id = the cell's \
        index in the suite) and a dependent job that merges them with `tandem report`:
          tandem suite recipes/quickstart.yaml --slurm --max-running 8 --partition cpu --time 0:30:00
        """)

    @Argument(help: "The suite file (YAML).") var suite: String
    @Argument(help: "Overrides applied to every cell, as key.path=value.") var overrides: [String] = []
    @Option(help: "Parallel processes (each gets an equal share of the cores).") var jobs = 1
    @OptionGroup(title: "Numerics") var numerics: NumericsOption
    @Option(help: "Run only slice i of n of the cells, as i/n (for job arrays); merge with `tandem report`.") var shard: String?
    @Option(help: "Run only the cell with this index (0-based, as listed by --dry-run; a job array's SLURM_ARRAY_TASK_ID).") var cell: Int?
    @Option(help: "Write to this folder instead of the suite's `output`.") var output: String?
    @Flag(help: "Do not print or write the report after running (job-array tasks; `tandem report` merges later).") var noReport = false
    @OptionGroup(title: "Report") var report: ReportFlags

    @Flag(help: "Submit the unfinished cells to Slurm as a job array plus a dependent report job, then return.") var slurm = false
    @Option(help: "Slurm: at most this many array tasks at once (the array's %k throttle).") var maxRunning: Int?
    @Option(help: "Slurm: the partition (default: the cluster's default).") var partition: String?
    @Option(help: "Slurm: time limit of an equal-weighting cell (e.g. 0:30:00); dearer strategies get it times their cost.") var time: String?
    @Option(help: "Slurm: CPUs per array task (Tandem uses that many kernel threads).") var cpusPerTask = 1
    @Option(help: "Slurm: memory per array task, in sbatch syntax (e.g. 4G).") var memory: String?
    @Option(help: "Slurm: n array tasks each running one shard i/n, instead of one task per cell.") var arrayShards: Int?
    @Flag(help: "Slurm: write the scripts and print the sbatch commands without submitting.") var dryRun = false
    @Option(help: "Slurm: MPI processes per cell (each array task an N-task job, `srun --mpi=pmix`); the recipes need budget.micro_batches ≥ N.") var ranksPerCell = 1

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // progress lines appear at once in a pipe or a file
        // Under `mpirun -np N` or `srun` (a `--ranks-per-cell` array task) the ranks run each cell together.
        try inProcessGroup(runSuite)
    }

    func runSuite(in group: ProcessGroup) throws {
        let speaks = group.isWriter
        let definition: Suite
        var cells: [Suite.Cell]
        do {
            definition = try Suite.load(suite, overrides: overrides)
            // A misspelt --reference fails now, not after every cell has run.
            if let reference = report.reference {
                let tuned = report.options(over: definition.report)?.tuned ?? []
                do { _ = try ReferenceRow.resolve(reference, among: definition.rowAxes.filter { !tuned.contains($0.axis) }) }
                catch let error as CommandError { throw CommandError("--reference: \(error.message)") }
            }
            guard jobs >= 1 else { throw CommandError("--jobs must be at least 1, found \(jobs)") }
            guard ranksPerCell >= 1 else { throw CommandError("--ranks-per-cell must be at least 1, found \(ranksPerCell)") }
            if ranksPerCell > 1 && !slurm {
                throw CommandError("--ranks-per-cell needs --slurm; on one machine, start the suite itself on N processes: mpirun -np N \(CommandEnvironment.commandName) suite …")
            }
            if group.size > 1 && (jobs > 1 || slurm) {
                throw CommandError("a suite over \(group.size) MPI processes runs its cells one at a time, every rank on each: drop --jobs and --slurm")
            }
            if [shard != nil, cell != nil, slurm].filter({ $0 }).count > 1 {
                throw CommandError("--shard, --cell and --slurm choose cells in different ways; give one of them")
            }
            if !slurm, maxRunning != nil || partition != nil || time != nil || memory != nil || arrayShards != nil || dryRun {
                throw CommandError("--max-running, --partition, --time, --memory, --array-shards and --dry-run need --slurm")
            }
            if let shard {
                let slice = try SuiteShard(parsing: shard)
                cells = try definition.cells(shard: slice.index, of: slice.count)
            } else if let cell {
                cells = [try definition.cell(at: cell)]
            } else {
                cells = try definition.cells()
            }
        } catch let error as RecipeError {
            throw inputError(group.named(error.description))
        } catch let error as CommandError {
            throw inputError(group.named(error.message))
        }
        let runner = SuiteRunner(suite: definition, registry: CommandEnvironment.registry, outputFolder: output.map { URL(fileURLWithPath: $0) })
        if slurm { return try submit(runner: runner, cells: cells) }
        let started = Date()
        do {
            try runner.run(cells, jobs: jobs, executable: CommandEnvironment.executablePath, processGroup: group) { print($0) }
        } catch let error as RecipeError {
            throw inputError(group.named(error.description))
        } catch let error as CommandError {
            guard speaks else { throw inputError(group.named(error.message)) }
            if noReport { throw inputError(error.message) }
            // Report what did finish, then fail.
            try? printReport(folders: [runner.outputFolder], flags: report)
            throw inputError(error.message)
        } catch {
            throw runError(error, rank: group.label)
        }
        guard speaks else { return }
        if noReport {
            print("cells done; merge with: \(CommandEnvironment.commandName) report \(runner.outputFolder.path)")
        } else {
            try printReport(folders: [runner.outputFolder], flags: report)
        }
        print(String(format: "wall time %.1f s", Date().timeIntervalSince(started)))
    }

    func submit(runner: SuiteRunner, cells: [Suite.Cell]) throws {
        let settings: SlurmSettings
        let plan: SlurmJobArrays
        do {
            guard cpusPerTask >= 1 else { throw CommandError("--cpus-per-task must be at least 1, found \(cpusPerTask)") }
            if let maxRunning, maxRunning < 1 { throw CommandError("--max-running must be at least 1, found \(maxRunning)") }
            if let arrayShards, arrayShards < 1 { throw CommandError("--array-shards must be at least 1, found \(arrayShards)") }
            settings = SlurmSettings(partition: partition, timePerCell: try time.map { try SlurmDuration(parsing: $0) },
                                     maxRunning: maxRunning, cpusPerTask: cpusPerTask, memory: memory, shards: arrayShards,
                                     ranksPerCell: ranksPerCell)
            try runner.validate(cells)
            if !dryRun { try runner.describe(cells) }   // a dry run writes its scripts only, no cell folders
            plan = try SlurmJobArrays(runner: runner, cells: cells, settings: settings, executable: CommandEnvironment.executablePath,
                                      workingDirectory: FileManager.default.currentDirectoryPath)
        } catch let error as RecipeError {
            throw inputError(error.description)
        } catch let error as CommandError {
            throw inputError(error.message)
        }
        print("suite \(runner.suite.name): \(plan.cellCount) cells, \(plan.finishedCount) already finished, "
              + "\(plan.cellCount - plan.finishedCount) to submit")
        if plan.arrays.isEmpty && !dryRun {
            print("nothing to submit: every cell is finished")
            try printReport(folders: [runner.outputFolder], flags: report)
            return
        }
        let submission: SlurmSubmission
        do { submission = try SlurmSubmission.submit(plan, runner: runner, dryRun: dryRun) }
        catch let error as CommandError { throw inputError(error.message) }
        for (array, submitted) in zip(plan.arrays, submission.arrays) {
            let cellsText = array.taskIDs.count == 1 ? "1 task" : "\(array.taskIDs.count) tasks"
            print("  array \(submitted.jobID): \(array.name), \(cellsText) [\(array.arraySpecification)]"
                  + (array.time.map { ", time \($0)" } ?? "") + String(format: ", cost ×%.1f", array.costFactor))
        }
        if dryRun {
            print("dry run: nothing submitted; the scripts are in \(runner.outputFolder.appendingPathComponent("slurm").path):")
            for command in submission.commands { print("  " + command.map(SlurmJobArrays.quoted).joined(separator: " ")) }
        } else {
            print("  report job \(submission.reportJobID ?? "?") (after all arrays): \(CommandEnvironment.commandName) report \(runner.outputFolder.path)")
            print("submitted; watch with `squeue -u $USER`, logs in \(runner.outputFolder.appendingPathComponent("slurm/logs").path)")
        }
    }
}

/// `tandem report DIR…`: merge suite outputs (e.g. shards) into one table and report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge suite output folders (e.g. shards) and write the table, CSV, JSON lines and a Markdown report with plots.")

    @Argument(help: "Suite output folders.") var folders: [String]
    @Option(help: "Where to write the merged report (default: the first folder).") var output: String?
    @OptionGroup(title: "Report") var report: ReportFlags

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        try printReport(folders: folders.map { URL(fileURLWithPath: $0) }, writeTo: output.map { URL(fileURLWithPath: $0) }, flags: report)
    }
}
