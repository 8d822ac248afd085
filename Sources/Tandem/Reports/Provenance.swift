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

    /// The provenance of this process now, for a run of `recipe` (if given).
    public static func current(recipe: Recipe? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> Provenance {
        let (commit, dirty) = gitState()
        return Provenance(gitCommit: commit, gitDirty: dirty, tandemVersion: TandemVersion.current, swiftVersion: compilerVersion,
                          openBLASCore: BLASKernelSelection.coreName, threads: Parallel.threadCount,
                          host: ProcessInfo.processInfo.hostName,
                          slurmJobID: environment["SLURM_JOB_ID"], slurmArrayJobID: environment["SLURM_ARRAY_JOB_ID"],
                          slurmArrayTaskID: environment["SLURM_ARRAY_TASK_ID"],
                          recipeHash: recipe.map(RecipeFingerprint.hash),
                          metricsVersion: StandardMetrics.implementationVersion, peakResidentBytes: peakResidentBytes())
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
