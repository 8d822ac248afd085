import ArgumentParser
import Foundation
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
        NumericsOption.applyToEnvironment(arguments: Array(CommandLine.arguments.dropFirst()))
        do {
            _ = try NumericsPolicy.requested()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(64)
        }
        BLASKernelSelection.reexecuteForNumericsPolicyIfNeeded()
        if let warning = BLASKernelSelection.numericsWarning() {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        Self.main(nil)
    }
}
