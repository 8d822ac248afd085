import CBLAS
import Foundation

/// Choosing OpenBLAS's compute kernels.
///
/// OpenBLAS picks its kernels from the CPU model when the library loads. Debian's OpenBLAS 0.3.21
/// does not know recent Xeons (e.g. family 6 model 207) and falls back to the generic `Prescott`
/// (SSE3) kernels, about 5× slower than the machine can do. The core type can only be chosen
/// through `OPENBLAS_CORETYPE` before the library loads, so a command that wants the fast
/// kernels re-executes itself once with it set: `SkylakeX` (AVX-512 F/BW/DQ/VL) where the CPU has
/// those instructions, else `Haswell` (AVX2/FMA). The whole test suite passes with both; an
/// `OPENBLAS_CORETYPE` set by the user is never changed.
public enum BLASKernelSelection {
    /// The kernel family OpenBLAS is using.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    static let genericCores: Set<String> = ["Prescott", "Core2", "Nehalem", "Katmai", "Coppermine", "Northwood", "Banias", "unknown"]

    /// The core type worth selecting, or nil when the current choice is already specific, the
    /// user chose one, or the CPU lacks AVX2/FMA.
    public static func recommendedCoreType(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if environment["OPENBLAS_CORETYPE"] != nil { return nil }
        guard genericCores.contains(coreName) else { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let set = Set(flags.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(set.contains) { return "SkylakeX" }
        return set.contains("avx2") && set.contains("fma") ? "Haswell" : nil
    }

    /// Re-executes the current program with the recommended `OPENBLAS_CORETYPE`, if there is one.
    /// Returns only when no re-execution was needed or it failed (then the program runs as is).
    public static func reexecuteWithFastKernelsIfNeeded() {
        guard let core = recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let arguments = CommandLine.arguments
        var pointers = arguments.map { strdup($0) }
        pointers.append(nil)
        execv("/proc/self/exe", pointers)
        // execv only returns on failure: carry on with the generic kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
