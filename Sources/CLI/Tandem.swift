import ArgumentParser
import TandemCore

/// The `tandem` command.
@main
struct TandemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "Multi-task learning research framework: gradient-combination strategies head to head.",
        version: "0.1.0",
        subcommands: [Train.self, SuiteCommand.self, ReportCommand.self, List.self, Describe.self, Docs.self, Combine.self, Affinity.self, Demo.self],
        defaultSubcommand: nil)

    static func main() {
        BLASKernelSelection.reexecuteWithFastKernelsIfNeeded()
        Self.main(nil)
    }
}
