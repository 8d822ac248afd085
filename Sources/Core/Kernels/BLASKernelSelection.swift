import CBLAS
import Foundation

/// Choosing OpenBLAS's compute kernels, as the `NumericsPolicy` asks.
///
/// OpenBLAS picks its kernels from the CPU model when the library loads, and they can only be
/// chosen through `OPENBLAS_CORETYPE` before it loads, so a command re-executes itself once with
/// the variable set. `portable` pins `Haswell`; `native` keeps a user's `OPENBLAS_CORETYPE`, and
/// where Debian's OpenBLAS 0.3.21 does not know the CPU (recent Xeons and EPYCs) and falls back to
/// its generic `Prescott` (SSE3) kernels, about 5× slower, picks `SkylakeX` (AVX-512 F/BW/DQ/VL)
/// or `Haswell` (AVX2/FMA) from the CPU's flags.
public enum BLASKernelSelection {
    /// The kernel family OpenBLAS is using.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    static let genericCores: Set<String> = ["Prescott", "Core2", "Nehalem", "Katmai", "Coppermine", "Northwood", "Banias", "unknown"]

    /// The CPU's feature flags (`/proc/cpuinfo`), empty where they cannot be read.
    public static let cpuFlags: Set<String> = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(flags.split(separator: " ").map(String.init))
    }()

    /// Whether the CPU runs OpenBLAS's `Haswell` kernels (AVX2 and FMA), which `portable` needs.
    public static func cpuRunsPortableKernels(flags: Set<String> = cpuFlags) -> Bool {
        flags.contains("avx2") && flags.contains("fma")
    }

    /// The `OPENBLAS_CORETYPE` to re-execute with under `policy`, or nil when the kernels in use
    /// (or already asked for in `environment`) are the right ones, or the CPU cannot run them.
    public static func coreTypeToSelect(policy: NumericsPolicy,
                                        environment: [String: String] = ProcessInfo.processInfo.environment,
                                        currentCore: String = coreName, flags: Set<String> = cpuFlags) -> String? {
        let chosen = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        switch policy {
        case .portable:
            let family = NumericsPolicy.portableKernelFamily
            guard cpuRunsPortableKernels(flags: flags) else { return nil }
            if let chosen, chosen.caseInsensitiveCompare(family) == .orderedSame { return nil }
            if chosen == nil && currentCore == family { return nil }
            return family
        case .native:
            if chosen != nil { return nil }
            guard genericCores.contains(currentCore) else { return nil }
            if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
            return cpuRunsPortableKernels(flags: flags) ? "Haswell" : nil
        }
    }

    /// What is wrong with this process's numerics, for a warning on standard error: a policy that
    /// cannot be parsed, or `portable` asked for but not in effect.
    public static func numericsWarning(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let policy: NumericsPolicy
        do { policy = try NumericsPolicy.requested(environment: environment) } catch { return "\(error)" }
        guard policy == .portable, coreName != NumericsPolicy.portableKernelFamily else { return nil }
        let reason = cpuRunsPortableKernels() ? "OpenBLAS did not switch to them (a build without DYNAMIC_ARCH?)"
                                              : "this CPU lacks AVX2/FMA"
        return "warning: \(NumericsPolicy.environmentVariable)=portable needs OpenBLAS's \(NumericsPolicy.portableKernelFamily) kernels, "
            + "but \(reason); running \(coreName) kernels, whose numbers are not portable (recorded as numerics: native)"
    }

    /// `OMP_WAIT_POLICY=passive` unless the environment chooses a wait policy itself. oneDNN runs
    /// on OpenMP, whose idle threads otherwise spin for a while after every parallel region; on a
    /// machine whose cores Tandem's own threads also use, that spinning took a quarter of the CPU
    /// time of a SplitVGG-3 step (benchmarks/README.md). Like `OPENBLAS_CORETYPE` it is read only
    /// when the library loads.
    public static func openMPWaitPolicyToSet(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let chosen = environment["OMP_WAIT_POLICY"], !chosen.isEmpty { return nil }
        return "passive"
    }

    /// Re-executes the current program with the `OPENBLAS_CORETYPE` its numerics policy asks for
    /// and OpenMP's wait policy (`openMPWaitPolicyToSet`), if they are not already in effect.
    /// Returns only when no re-execution was needed or it failed (then the program runs as is, and
    /// provenance records the kernels it really used).
    public static func reexecuteForNumericsPolicyIfNeeded() {
        var settings: [String: String] = [:]
        if let policy = try? NumericsPolicy.requested(), let core = coreTypeToSelect(policy: policy) { settings["OPENBLAS_CORETYPE"] = core }
        if let wait = openMPWaitPolicyToSet() { settings["OMP_WAIT_POLICY"] = wait }
        guard !settings.isEmpty else { return }
        let environment = ProcessInfo.processInfo.environment
        for (name, value) in settings { setenv(name, value, 1) }
        let arguments = CommandLine.arguments
        var pointers = arguments.map { strdup($0) }
        pointers.append(nil)
        execv("/proc/self/exe", pointers)
        // execv only returns on failure: carry on with the kernels already loaded.
        for name in settings.keys {
            if let previous = environment[name] { setenv(name, previous, 1) } else { unsetenv(name) }
        }
    }
}
