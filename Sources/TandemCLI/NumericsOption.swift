import ArgumentParser
import Foundation
import TandemCore

extension NumericsPolicy: ExpressibleByArgument {}

/// `--numerics portable|native` on the commands that compute (see `NumericsPolicy`).
///
/// The kernels must be chosen before OpenBLAS loads, so `TandemCommand.main()` reads the flag from
/// the raw arguments (`NumericsOption.applyToEnvironment`) and re-executes; this option group then
/// only documents and validates it.
struct NumericsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Kernels: portable (the same bits on every AVX2 machine; the default) or native (each CPU's fastest, the same bits within one kernel family). Overrides TANDEM_NUMERICS.",
                               valueName: "policy"))
    var numerics: NumericsPolicy?

    /// Sets `TANDEM_NUMERICS` from a valid `--numerics VALUE` or `--numerics=VALUE` in `arguments`
    /// (an invalid value is left for the argument parser to report).
    static func applyToEnvironment(arguments: [String]) {
        var value: String?
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "--numerics", index + 1 < arguments.count { value = arguments[index + 1] }
            if argument.hasPrefix("--numerics=") { value = String(argument.dropFirst("--numerics=".count)) }
        }
        if let value, let policy = NumericsPolicy(rawValue: value) {
            setenv(NumericsPolicy.environmentVariable, policy.rawValue, 1)
        }
    }
}
