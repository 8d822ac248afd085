import Foundation
import TandemCore
#if canImport(Glibc)
import Glibc
#endif

/// The version of Tandem (also `tandem --version`).
public enum TandemVersion {
    public static let current = "0.1.0"
}

/// Where a result came from: enough to rerun it and to tell two results apart that should not be
/// compared. Recorded in every `result.json` and summarised in every suite report.
public struct Provenance: Codable, Equatable, Sendable {
    /// `git rev-parse HEAD` of the repository holding the running executable (else of the current
    /// directory); `nil` outside a git checkout or without git.
    public var gitCommit: String?
    /// Whether tracked files differed from that commit (`git status --porcelain --untracked-files=no`).
    public var gitDirty: Bool?
    public var tandemVersion: String
    /// The Swift compiler that built this executable.
    public var swiftVersion: String
    /// The OpenBLAS kernel set in use (`openblas_get_corename`).
    public var openBLASCore: String
    /// The numerics policy the numbers follow (`NumericsPolicy.inEffect`: `portable` or `native`);
    /// `nil` in results written before the policy existed.
    public var numerics: String?
    /// Every kernel family in use (`NumericsPolicy.kernelFamily`): results are bit-comparable
    /// only between equal families.
    public var kernelFamily: String?
    /// Tandem's kernel threads (`TANDEM_THREADS`, at most 2 by default).
    public var threads: Int
    public var host: String
    public var slurmJobID: String?
    public var slurmArrayJobID: String?
    public var slurmArrayTaskID: String?
    /// SHA-256 of the effective recipe (after `base:` and overrides): `RecipeFingerprint`.
    public var recipeHash: String?
    /// `StandardMetrics.implementationVersion`: results with different versions are not comparable.
    public var metricsVersion: Int
    /// The process's peak resident set size in bytes (`getrusage`), when the run ended.
    public var peakResidentBytes: Int
    /// The processes (MPI ranks) the run spanned, and the micro-batches S of each batch
    /// (`budget.micro_batches`); `nil` in results written before runs could span processes.
    /// The numbers depend on S, never on the process count.
    public var processes: Int? = nil
    public var microBatches: Int? = nil

    /// The provenance of this process now, for a run of `recipe` (if given).
    public static func current(recipe: Recipe? = nil, processes: Int = 1,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> Provenance {
        let (commit, dirty) = gitState()
        var provenance = Provenance(gitCommit: commit, gitDirty: dirty, tandemVersion: TandemVersion.current, swiftVersion: compilerVersion,
                          openBLASCore: BLASKernelSelection.coreName,
                          numerics: NumericsPolicy.inEffect(environment: environment).rawValue,
                          kernelFamily: NumericsPolicy.kernelFamily, threads: Parallel.threadCount,
                          host: ProcessInfo.processInfo.hostName,
                          slurmJobID: environment["SLURM_JOB_ID"], slurmArrayJobID: environment["SLURM_ARRAY_JOB_ID"],
                          slurmArrayTaskID: environment["SLURM_ARRAY_TASK_ID"],
                          recipeHash: recipe.map(RecipeFingerprint.hash),
                          metricsVersion: StandardMetrics.implementationVersion, peakResidentBytes: peakResidentBytes())
        provenance.processes = processes
        provenance.microBatches = recipe?.microBatches.count
        return provenance
    }

    /// `ru_maxrss` of this process, in bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
    }

    /// The compiler version this file was built with.
    public static let compilerVersion: String = {
        #if compiler(>=6.4)
        return "6.4 or later"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #elseif compiler(>=6.0)
        return "6.0"
        #else
        return "before 6.0"
        #endif
    }()

    /// The commit and dirty flag of the checkout holding the executable (or the current directory),
    /// computed once per process.
    static let cachedGitState: (String?, Bool?) = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        for start in [URL(fileURLWithPath: executable).deletingLastPathComponent().path, FileManager.default.currentDirectoryPath] {
            guard let commit = git(["rev-parse", "HEAD"], in: start)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  commit.count == 40 else { continue }
            let status = git(["status", "--porcelain", "--untracked-files=no"], in: start)
            return (commit, status.map { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty })
        }
        return (nil, nil)
    }()

    static func gitState() -> (String?, Bool?) { cachedGitState }

    static func git(_ arguments: [String], in folder: String) -> String? {
        guard let executable = SlurmSubmission.findExecutable("git", environment: ProcessInfo.processInfo.environment) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-C", folder] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}

extension Provenance {
    /// Lines summarising the provenance of a suite's cells: each field's distinct values (with how
    /// many cells have each when they differ), so mixed commits, dirty trees, thread counts or
    /// metric versions stand out, and a warning first when cells were computed with different
    /// kernel families (their numbers differ in rounding). Cells without provenance are counted.
    public static func summary(of records: [Provenance?]) -> [String] {
        let known = records.compactMap { $0 }
        guard !known.isEmpty else { return [] }
        func distinct(_ name: String, _ value: (Provenance) -> String?) -> String {
            var counts: [String: Int] = [:], order: [String] = []
            for record in known {
                let text = value(record) ?? "unknown"
                if counts[text] == nil { order.append(text) }
                counts[text, default: 0] += 1
            }
            if order.count == 1 { return "\(name) \(order[0])" }
            return "\(name) " + order.map { "\($0) (\(counts[$0]!) cells)" }.joined(separator: ", ")
        }
        let families = Set(known.map { $0.kernelFamily ?? "OpenBLAS \($0.openBLASCore)" })
        var lines = families.count > 1
            ? ["warning: the cells mix \(families.count) kernel families; their numbers differ in rounding, so a difference between cells may come from the kernels (run a suite with `--numerics portable` to have one family everywhere)"]
            : []
        lines += [
            distinct("commit", { record in record.gitCommit.map { String($0.prefix(12)) + (record.gitDirty == true ? " (dirty)" : "") } }),
            distinct("Tandem", { $0.tandemVersion }),
            distinct("Swift", { $0.swiftVersion }),
            distinct("numerics", { $0.numerics }),
            distinct("kernels", { $0.kernelFamily ?? "OpenBLAS \($0.openBLASCore)" }),
            distinct("threads", { "\($0.threads)" }),
            distinct("processes", { "\($0.processes ?? 1)" }),
            distinct("micro-batches", { "\($0.microBatches ?? 1)" }),
            distinct("host", { $0.host }),
            distinct("metrics version", { "\($0.metricsVersion)" }),
        ]
        let arrays = Set(known.compactMap(\.slurmArrayJobID)), jobs = Set(known.compactMap(\.slurmJobID))
        if !arrays.isEmpty {
            lines.append("Slurm array job\(arrays.count > 1 ? "s" : "") \(arrays.sorted().joined(separator: ", ")) (\(known.filter { $0.slurmArrayJobID != nil }.count) cells)")
        } else if !jobs.isEmpty {
            lines.append("Slurm job\(jobs.count > 1 ? "s" : "") \(jobs.sorted().joined(separator: ", "))")
        }
        let hashes = Set(known.compactMap(\.recipeHash))
        lines.append("\(hashes.count) distinct recipe hash\(hashes.count == 1 ? "" : "es") over \(known.count) cells")
        let peak = known.map(\.peakResidentBytes).max() ?? 0
        lines.append(String(format: "peak RSS at most %.0f MiB", Double(peak) / 1_048_576))
        if known.count < records.count { lines.append("\(records.count - known.count) cells recorded no provenance") }
        return lines
    }
}
