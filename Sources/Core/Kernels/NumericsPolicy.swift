import Foundation

/// Which compute kernels a run uses, and so which machines give it the same bits.
///
/// Floating-point results depend on the order of operations inside the kernels, and OpenBLAS picks
/// a different kernel family per CPU: AVX2 `Haswell` kernels and AVX-512 `SkylakeX` kernels sum
/// in different orders, so one recipe and seed trains differently on the two (and a chaotic run
/// ends in another place). The policy, from `TANDEM_NUMERICS` or `--numerics`:
///
/// * `portable` (the default): OpenBLAS is pinned to its `Haswell` kernels, which every x86-64 CPU
///   with AVX2 and FMA runs, so the same build gives the same bits on every such machine, whatever
///   kernels its CPU would prefer. It overrides an `OPENBLAS_CORETYPE` in the environment. Tandem's
///   own kernels are compiled for baseline x86-64 and run the same code everywhere; glibc's libm
///   picks its FMA variants on every AVX2 machine.
/// * `native`: each machine's fastest kernels (a user's `OPENBLAS_CORETYPE` wins; where OpenBLAS
///   does not know the CPU, `SkylakeX` with AVX-512, else `Haswell`). The same bits only within
///   one kernel family.
///
/// Portable is the default because a suite's cells may run on different nodes, and the README's
/// expected numbers must reproduce on a reader's machine; native is up to about 2× faster in
/// GEMM on AVX-512 CPUs (measured in benchmarks/README.md, "numerics").
public enum NumericsPolicy: String, CaseIterable, Sendable, Codable {
    case portable
    case native

    /// The environment variable that selects the policy.
    public static let environmentVariable = "TANDEM_NUMERICS"
    public static let defaultPolicy = NumericsPolicy.portable
    /// The OpenBLAS kernel family `portable` pins.
    public static let portableKernelFamily = "Haswell"

    /// The policy the environment asks for, or an error naming the variable and the valid values.
    public static func requested(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NumericsPolicy {
        guard let text = environment[environmentVariable], !text.isEmpty else { return defaultPolicy }
        guard let policy = NumericsPolicy(rawValue: text.lowercased()) else {
            throw NumericsPolicyError(message: "\(environmentVariable)=\(text) is not a numerics policy: expected "
                                      + allCases.map(\.rawValue).joined(separator: " or "))
        }
        return policy
    }

    /// The policy this process's numbers actually follow: `portable` only when it was asked for and
    /// OpenBLAS runs the pinned kernels; everything else is `native` (its kernel family says which).
    public static func inEffect(environment: [String: String] = ProcessInfo.processInfo.environment) -> NumericsPolicy {
        let asked = (try? requested(environment: environment)) ?? defaultPolicy
        return asked == .portable && BLASKernelSelection.coreName == portableKernelFamily ? .portable : .native
    }

    /// The environment under which a child `tandem` process computes with this process's kernels
    /// (a suite's `--jobs` children, whose cells are compared with cells run in-process).
    public static func environmentForChildren(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        [environmentVariable: inEffect(environment: environment).rawValue, "OPENBLAS_CORETYPE": BLASKernelSelection.coreName,
         ConvolutionBackend.environmentVariable: ConvolutionBackend.current.rawValue,
         "OMP_WAIT_POLICY": environment["OMP_WAIT_POLICY"].flatMap { $0.isEmpty ? nil : $0 } ?? "passive"]
    }

    /// The kernels this process computes with, as recorded in provenance: OpenBLAS's family and
    /// Tandem's own kernels' instruction set.
    public static var kernelFamily: String {
        let base = "OpenBLAS \(BLASKernelSelection.coreName), Tandem x86-64 baseline"
        return ConvolutionBackend.current == .tandem ? base : base + ", convolutions \(ConvolutionBackend.description)"
    }
}

/// A numerics policy that cannot be honoured or parsed.
public struct NumericsPolicyError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
