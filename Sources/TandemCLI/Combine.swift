import ArgumentParser
import Foundation
import Tandem
import TandemCore
import TandemDatasets

/// `tandem combine`: a strategy's encoder stage applied to given per-task gradients.
struct Combine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a strategy to per-task gradients (one row per task) and write the combined gradient.",
        discussion: """
        The gradients are read from a 2-D .npy file (T rows × P columns). The strategy sees them \
        as gradients at the shared parameters and at the representation alike (an identity encoder), \
        with the given losses (default 1 each). Example:
          tandem combine --strategy pcgrad --gradients G.npy --option reduction=mean --out D.npy
        """)

    @Option(help: "Strategy name (see `tandem list strategies`).") var strategy: String
    @OptionGroup(title: "Numerics") var numerics: NumericsOption
    @Option(help: "Per-task gradients, a T×P .npy file.") var gradients: String
    @Option(help: "Per-task losses, a length-T .npy file.") var losses: String?
    @Option(name: .customLong("option"), parsing: .singleValue, help: "A strategy option as key=value (repeatable).") var options: [String] = []
    @Option(help: "Comma-separated roles per task row (primary or auxiliary).") var roles: String?
    // `.unconditional`: a value such as `-0.1` is read as the value (and then range-checked), not
    // mistaken for an option, which ArgumentParser would report as "Missing value".
    @Option(parsing: .unconditional, help: "Learning rate used by lookahead strategies (> 0).") var learningRate: Float = 0.1
    @Option(parsing: .unconditional, help: "Seed for strategies that draw random numbers (0 or more).") var seed: String = "0"
    @Option(help: "Where to write the combined gradient (.npy, float32, length P).") var out: String?

    func run() throws {
        do {
            guard learningRate.isFinite, learningRate > 0 else {
                throw CommandError("--learning-rate must be a positive number, found \(learningRate)")
            }
            guard let seedValue = UInt64(seed) else {
                throw CommandError("--seed must be a whole number from 0 to \(UInt64.max), found '\(seed)'")
            }
            let gradientArray = try NpyReader.read(URL(fileURLWithPath: gradients))
            let lossArray = try losses.map { try NpyReader.read(URL(fileURLWithPath: $0)) }
            let roleList = try roles.map { text in
                try text.split(separator: ",").map { word -> TaskRole in
                    guard let role = TaskRole(rawValue: word.trimmingCharacters(in: .whitespaces)) else {
                        throw CommandError("--roles: '\(word)' is not a role; use primary or auxiliary")
                    }
                    return role
                }
            }
            let result = try CombineGradients.run(strategy: strategy, gradients: gradientArray, gradientsPath: gradients,
                                                  losses: lossArray, lossesPath: losses, roles: roleList, optionWords: options,
                                                  learningRate: learningRate, seed: seedValue, registry: CommandEnvironment.registry)
            for name in result.taskNames {
                var line = "\(name): decoder weight \(result.outcome.decoderWeights[name]!)"
                if let w = result.outcome.encoderWeights?[name] { line += ", encoder weight \(w)" }
                print(line)
            }
            for (key, value) in result.outcome.reports.sorted(by: { $0.key < $1.key }) { print("\(key): \(value)") }
            print("combined gradient: \(result.direction)")
            if let out {
                try NpyArray(shape: [result.direction.count], float32: result.direction).write(to: URL(fileURLWithPath: out))
                print("written to \(out)")
            }
        } catch let error as CommandError {
            throw inputError(error.message)
        } catch let error as RecipeError {
            throw inputError(error.description)
        } catch let error as DatasetError {
            throw inputError("\(error)")
        }
    }
}

/// Prints `message` to standard error and returns the exit code for bad input (2).
func inputError(_ message: String) -> ExitCode {
    let text = message.contains("error: ") ? message : "error: \(message)"
    FileHandle.standardError.write(Data("\(text)\n".utf8))
    return ExitCode(2)
}
