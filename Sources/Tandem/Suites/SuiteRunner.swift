import Foundation
import TandemCore

/// Runs a suite's cells, skipping those already finished, in this process or in parallel child
/// processes (each then gets an equal share of the cores, so the machine is never oversubscribed).
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

    /// Checks every cell's recipe before anything runs (a bad matrix value fails fast).
    public func validate(_ cells: [Suite.Cell]) throws {
        for cell in cells {
            try Experiment.check(try Recipe.load(suite.recipePath, overrides: suite.overrides + cell.overrides), registry: registry)
        }
    }

    /// Runs `cells` (skipping finished ones) with `jobs` parallel processes (1: in this process).
    /// `executable` is the `tandem` binary used for child processes.
    public func run(_ cells: [Suite.Cell], jobs: Int, executable: String, log: (String) -> Void) throws {
        try validate(cells)
        let pending = cells.filter { !isFinished($0) }
        log("suite \(suite.name): \(cells.count) cells, \(cells.count - pending.count) already finished, \(pending.count) to run")
        for cell in cells { try writeDescription(of: cell) }
        if jobs <= 1 {
            for (index, cell) in pending.enumerated() {
                log("[\(index + 1)/\(pending.count)] \(cell.identifier)")
                let recipe = try Recipe.load(suite.recipePath, overrides: suite.overrides + cell.overrides)
                let experiment = try Experiment(recipe: recipe, registry: registry, outputFolder: folder(of: cell))
                try experiment.run(resume: true)
            }
            return
        }
        let threadsEach = max(1, Parallel.threadCount / jobs)
        var running: [(Process, Suite.Cell)] = []
        var queue = pending[...]
        var failures: [String] = []
        var started = 0
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let cell = queue.popFirst() {
                started += 1
                log("[\(started)/\(pending.count)] \(cell.identifier)")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["train", suite.recipePath, "--resume", "--quiet", "--output", folder(of: cell).path]
                    + suite.overrides + cell.overrides
                var environment = ProcessInfo.processInfo.environment
                environment["TANDEM_THREADS"] = "\(threadsEach)"
                environment["OPENBLAS_NUM_THREADS"] = "\(threadsEach)"
                process.environment = environment
                let logURL = folder(of: cell).appendingPathComponent("train.log")
                FileManager.default.createFile(atPath: logURL.path, contents: nil)
                let handle = try FileHandle(forWritingTo: logURL)
                process.standardOutput = handle
                process.standardError = handle
                try process.run()
                running.append((process, cell))
            }
            Thread.sleep(forTimeInterval: 0.2)
            running.removeAll { process, cell in
                guard !process.isRunning else { return false }
                if process.terminationStatus != 0 {
                    failures.append("\(cell.identifier) (exit \(process.terminationStatus); see \(folder(of: cell).appendingPathComponent("train.log").path))")
                }
                return true
            }
        }
        if !failures.isEmpty { throw CommandError("suite cells failed: \(failures.joined(separator: "; "))") }
    }

    /// `cell.json`: what a cell is, so `tandem report` can merge folders from several shards.
    func writeDescription(of cell: Suite.Cell) throws {
        let folder = folder(of: cell)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let description = CellDescription(suite: suite.name, identifier: cell.identifier, coordinates: cell.coordinates,
                                          baselineTask: cell.baselineTask)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(description).write(to: folder.appendingPathComponent("cell.json"), options: .atomic)
    }
}

/// What `cell.json` holds.
public struct CellDescription: Codable, Equatable {
    public var suite: String
    public var identifier: String
    public var coordinates: [String: String]
    public var baselineTask: String?
}
