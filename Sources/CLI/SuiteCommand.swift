import ArgumentParser
import Foundation
import Tandem

/// `tandem suite SUITE`: run every cell of a head-to-head suite and print the comparison table.
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run a suite (strategies × seeds × …), skipping finished cells, and print the comparison table.")

    @Argument(help: "The suite file (YAML).") var suite: String
    @Argument(help: "Overrides applied to every cell, as key.path=value.") var overrides: [String] = []
    @Option(help: "Parallel processes (each gets an equal share of the cores).") var jobs = 1
    @Option(help: "Run only slice i of n of the cells, as i/n (for job arrays); merge with `tandem report`.") var shard: String?
    @Option(help: "Write to this folder instead of the suite's `output`.") var output: String?

    func run() throws {
        let definition: Suite
        var cells: [Suite.Cell]
        do {
            definition = try Suite.load(suite, overrides: overrides)
            if let shard {
                let parts = shard.split(separator: "/").compactMap { Int($0) }
                guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
                    throw CommandError("--shard must be i/n with 1 ≤ i ≤ n, found '\(shard)'")
                }
                cells = try definition.cells(shard: parts[0], of: parts[1])
            } else {
                cells = try definition.cells()
            }
            guard jobs >= 1 else { throw CommandError("--jobs must be at least 1") }
        } catch let error as RecipeError {
            throw inputError(error.description)
        } catch let error as CommandError {
            throw inputError(error.message)
        }
        let runner = SuiteRunner(suite: definition, outputFolder: output.map { URL(fileURLWithPath: $0) })
        let started = Date()
        do {
            try runner.run(cells, jobs: jobs, executable: "/proc/self/exe") { print($0) }
        } catch let error as RecipeError {
            throw inputError(error.description)
        }
        try printReport(folders: [runner.outputFolder])
        print(String(format: "wall time %.1f s", Date().timeIntervalSince(started)))
        cells.removeAll()
    }
}

/// `tandem report DIR…`: merge suite outputs (e.g. shards) into one table and report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge suite output folders (e.g. shards) and write the table, CSV, JSON lines and a Markdown report with plots.")

    @Argument(help: "Suite output folders.") var folders: [String]
    @Option(help: "Where to write the merged report (default: the first folder).") var output: String?

    func run() throws {
        try printReport(folders: folders.map { URL(fileURLWithPath: $0) }, writeTo: output.map { URL(fileURLWithPath: $0) })
    }
}
