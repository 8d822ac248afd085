import ArgumentParser
import Foundation
import Tandem
import TandemCore

/// The `tandem` command and its subcommands, as a library: an executable's `main.swift` is one call,
///
///     TandemCommand.main(registry: .standard.adding(MyStrategy.self))
///
/// and that executable gets `train`, `suite` (children and `--slurm` jobs run the executable
/// itself), `report`, `combine`, `describe`, `list`, `affinity`, `export`, `docs`, `demo` and
/// `write-scenes`, all building from the given registry.
public struct TandemCommand: ParsableCommand {
    /// The subcommands, under the name the executable was given (`tandem` for Tandem's own).
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: CommandEnvironment.commandName,
            abstract: "Multi-task learning research framework: gradient-combination strategies head to head.",
            version: "0.1.0",
            subcommands: [Train.self, SuiteCommand.self, ReportCommand.self, List.self, Describe.self, Docs.self, Combine.self, Affinity.self, Export.self, Demo.self,
                          WriteScenes.self],
            defaultSubcommand: nil)
    }

    public init() {}

    /// Runs the command line with Tandem's standard registry.
    public static func main() { main(registry: .standard) }

    /// Runs the command line with `registry`: chooses the kernels the numerics policy asks for
    /// (`TANDEM_NUMERICS` or `--numerics`, re-executing when OpenBLAS must load others), then
    /// parses the arguments and runs the subcommand.
    /// - Parameters:
    ///   - registry: the strategies, models and data sets every subcommand builds from.
    ///   - commandName: the name shown in help and hints (default: the executable's file name).
    public static func main(registry: Registry, commandName: String? = nil) {
        use(registry: registry, commandName: commandName ?? URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent)
        NumericsOption.applyToEnvironment(arguments: Array(CommandLine.arguments.dropFirst()))
        do {
            _ = try NumericsPolicy.requested()
            _ = try ConvolutionBackend.requested()
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

    /// Makes `registry` and `commandName` what the subcommands read.
    static func use(registry: Registry, commandName: String) {
        CommandEnvironment.registry = registry
        CommandEnvironment.commandName = commandName
    }
}
