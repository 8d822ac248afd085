import Foundation
import TandemCore

/// Runs a suite's cells, skipping those already finished, in this process or in parallel child
/// processes (each then gets an equal share of the cores, so the machine is never oversubscribed).
///
/// Children die with the suite (`ParentDeathSignal`); a cell whose folder is locked by another run
/// (`RunFolderLock`) is left to that run. Progress lines — each cell's start, its time when it
/// ends and the ETA of the rest — go to `log` as they happen.
public struct SuiteRunner {
    public var suite: Suite
    public var registry: Registry
    public var outputFolder: URL

    public init(suite: Suite, registry: Registry = .standard, outputFolder: URL? = nil) {
        self.suite = suite
        self.registry = registry
        self.outputFolder = outputFolder ?? URL(fileURLWithPath: suite.output)
    }

    public func folder(of cell: Suite.Cell) -> URL { outputFolder.appendingPathComponent("cells").appendingPathComponent(cell.folderName) }

    public func isFinished(_ cell: Suite.Cell) -> Bool {
        FileManager.default.fileExists(atPath: folder(of: cell).appendingPathComponent("result.json").path)
    }

    /// Checks the output folder (`RunFolderPath`) and every cell's recipe before anything runs (a
    /// bad matrix value fails fast).
    public func validate(_ cells: [Suite.Cell]) throws {
        try RunFolderPath.check(outputFolder.path)
        for cell in cells {
            try Experiment.check(try Recipe.load(cell.recipePath, overrides: suite.overrides + cell.overrides), registry: registry)
        }
    }

    /// Writes every cell's `cell.json` (so a report lists cells that have not run yet) and the
    /// suite's report options (`suite.json`, so `tandem report` summarises as the suite asks).
    /// The output folder and its `cells/` are made first, so a shard with no cells still leaves a
    /// suite folder; failures name the path and the reason.
    public func describe(_ cells: [Suite.Cell]) throws {
        let cellsFolder = outputFolder.appendingPathComponent("cells")
        do { try FileProblem.makeFolder(cellsFolder) }
        catch { throw CommandError("cannot create the suite folder \(cellsFolder.path): \(error)") }
        for cell in cells { try writeDescription(of: cell) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let record = ReportOptions.recordURL(in: outputFolder)
        do { try encoder.encode(ReportOptions.Record(suite: suite.name, report: suite.report)).write(to: record, options: .atomic) }
        catch { throw CommandError("cannot write \(record.path) (\(FileProblem.reason(error)))") }
    }

    /// Runs `cells` (skipping finished ones) with `jobs` parallel processes (1: in this process).
    /// `executable` is the binary child processes run `train` with (`tandem` or a downstream
    /// executable built on `TandemCLI`, whose registry knows the suite's strategies).
    ///
    /// In a job over several processes (`processGroup`, an MPI job of `--ranks-per-cell`), every
    /// rank runs every cell with the others, one at a time; rank 0 decides what to skip, logs and
    /// writes.
    public func run(_ cells: [Suite.Cell], jobs: Int, executable: String, processGroup: ProcessGroup = SingleProcess(),
                    log: (String) -> Void) throws {
        let speaks = processGroup.isWriter
        func say(_ line: String) { if speaks { log(line) } }
        try validate(cells)
        // Every rank runs the cells rank 0 finds unfinished (a file written meanwhile changes nothing).
        let unfinished = cells.map { isFinished($0) ? Float(0) : 1 }
        let pending = zip(cells, processGroup.allGather(speaks ? unfinished : [])[0]).filter { $0.1 == 1 }.map(\.0)
        say("suite \(suite.name): \(cells.count) cells, \(cells.count - pending.count) already finished, \(pending.count) to run")
        if speaks { try describe(cells) }
        var progress = SuiteProgress(total: pending.count, jobs: jobs)
        var failures: [String] = []
        if jobs <= 1 {
            for cell in pending {
                let holder = lockedElsewhere(cell)
                if processGroup.allGather(speaks ? [Float(holder == nil ? 0 : 1)] : [Float]())[0] == [1] {
                    say("\(cell.identifier): already being run by another process (\(holder ?? "?")); left to it")
                    failures.append("\(cell.identifier) (being run by another process)")
                    continue
                }
                say(progress.started(cell.identifier))
                let recipe = try Recipe.load(cell.recipePath, overrides: suite.overrides + cell.overrides)
                let experiment = try Experiment(recipe: recipe, registry: registry, outputFolder: folder(of: cell), processGroup: processGroup)
                try experiment.run(resume: true)
                say(progress.finished(cell.identifier))
            }
            if !failures.isEmpty { throw CommandError("suite cells not run: \(failures.joined(separator: "; "))") }
            return
        }
        let threadsEach = max(1, Parallel.threadCount / jobs)
        var running: [(Process, Suite.Cell)] = []
        var queue = pending[...]
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let cell = queue.popFirst() {
                if let holder = lockedElsewhere(cell) {
                    say("\(cell.identifier): already being run by another process (\(holder)); left to it")
                    failures.append("\(cell.identifier) (being run by another process)")
                    progress.skipped()
                    continue
                }
                say(progress.started(cell.identifier))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["train", cell.recipePath, "--resume", "--output", folder(of: cell).path]
                    + suite.overrides + cell.overrides
                var environment = ProcessInfo.processInfo.environment
                environment["TANDEM_THREADS"] = "\(threadsEach)"
                environment["OPENBLAS_NUM_THREADS"] = "\(threadsEach)"
                environment[ParentDeathSignal.environmentKey] = "\(getpid())"
                environment.merge(NumericsPolicy.environmentForChildren()) { $1 }   // the children compute like this process
                process.environment = environment
                let logURL = folder(of: cell).appendingPathComponent("train.log")
                _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
                let handle = try FileHandle(forWritingTo: logURL)
                process.standardOutput = handle
                process.standardError = handle
                try process.run()
                try? handle.close()
                running.append((process, cell))
            }
            Thread.sleep(forTimeInterval: 0.2)
            var ended: [String] = []
            running.removeAll { process, cell in
                guard !process.isRunning else { return false }
                if process.terminationStatus != 0 {
                    failures.append("\(cell.identifier) (exit \(process.terminationStatus); see \(folder(of: cell).appendingPathComponent("train.log").path))")
                    ended.append(progress.failed(cell.identifier, status: process.terminationStatus))
                } else {
                    ended.append(progress.finished(cell.identifier))
                }
                return true
            }
            ended.forEach(say)
        }
        if !failures.isEmpty { throw CommandError("suite cells failed: \(failures.joined(separator: "; "))") }
    }

    /// The holder of `cell`'s run-folder lock when another process holds it.
    func lockedElsewhere(_ cell: Suite.Cell) -> String? {
        let folder = folder(of: cell)
        guard RunFolderLock.isHeld(folder) else { return nil }
        return RunFolderLock.holder(of: folder).map { "pid \($0)" } ?? "unknown process"
    }

    /// `cell.json`: what a cell is, so `tandem report` can merge folders from several shards.
    func writeDescription(of cell: Suite.Cell) throws {
        let folder = folder(of: cell)
        do { try FileProblem.makeFolder(folder) }
        catch { throw CommandError("cannot create the cell folder \(folder.path): \(error)") }
        try RunFolderLinks.refuse(in: folder)
        let description = CellDescription(suite: suite.name, identifier: cell.identifier, coordinates: cell.coordinates,
                                          baselineTask: cell.baselineTask, index: cell.index)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let file = folder.appendingPathComponent("cell.json")
        do { try encoder.encode(description).write(to: file, options: .atomic) }
        catch { throw CommandError("cannot write \(file.path) (\(FileProblem.reason(error)))") }
    }
}

/// What `cell.json` holds.
public struct CellDescription: Codable, Equatable {
    public var suite: String
    public var identifier: String
    public var coordinates: [String: String]
    public var baselineTask: String?
    /// The cell's position in the suite (`Suite.Cell.index`): the report lists rows in this order.
    /// `nil` in folders written before it was recorded.
    public var index: Int?

    public init(suite: String, identifier: String, coordinates: [String: String], baselineTask: String?, index: Int? = nil) {
        self.suite = suite
        self.identifier = identifier
        self.coordinates = coordinates
        self.baselineTask = baselineTask
        self.index = index
    }
}
