import Foundation
import Tandem

/// What the running executable's commands build from: the registry (strategies, models, data
/// sets) and the name the executable answers to in help and hints.
///
/// `TandemCommand.main(registry:commandName:)` sets it once, before parsing; every subcommand reads
/// it here rather than from `Registry.standard`, so an executable built on `TandemCLI` in another
/// package trains, runs suites and describes with its own registry.
enum CommandEnvironment {
    nonisolated(unsafe) static var registry: Registry = .standard
    nonisolated(unsafe) static var commandName = "tandem"

    /// The path of the running executable, for child processes and Slurm scripts: a suite run by
    /// a downstream executable spawns and submits that executable, not `tandem`.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
