import Foundation

/// Writes a suite's Slurm scripts into `OUTPUT/slurm/` and submits them with `sbatch`: the job
/// arrays first, then the report job depending on all of them (`afterany`). What was submitted is
/// recorded in `OUTPUT/slurm/submission.json`.
public struct SlurmSubmission: Codable, Equatable {
    public struct SubmittedArray: Codable, Equatable {
        public var jobID: String
        public var script: String
        public var array: String
        public var time: String?
        public var costFactor: Double
        /// Array index → the cells it runs.
        public var cells: [String: [String]]
    }

    public var suite: String
    public var output: String
    public var arrays: [SubmittedArray]
    /// `nil` for a dry run.
    public var reportJobID: String?
    public var reportScript: String
    public var dryRun: Bool
    /// The sbatch command lines, as run (or, for a dry run, as they would be run).
    public var commands: [[String]]

    /// Writes the scripts and (unless `dryRun`) submits them. `sbatch` is looked up on `PATH`.
    public static func submit(_ plan: SlurmJobArrays, runner: SuiteRunner, dryRun: Bool,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SlurmSubmission {
        let folder = runner.outputFolder.appendingPathComponent("slurm")
        do {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create \(folder.path): \(error.localizedDescription)")
        }
        let sbatch: String
        if dryRun {
            sbatch = "sbatch"
        } else {
            guard let found = findExecutable("sbatch", environment: environment) else {
                throw CommandError("sbatch is not on PATH: --slurm needs a Slurm client on this machine (use --dry-run to only write the scripts)")
            }
            sbatch = found
        }
        var submission = SlurmSubmission(suite: runner.suite.name, output: runner.outputFolder.standardizedFileURL.path, arrays: [],
                                         reportJobID: nil, reportScript: folder.appendingPathComponent("report.sbatch").path,
                                         dryRun: dryRun, commands: [])
        var jobIDs: [String] = []
        for (number, array) in plan.arrays.enumerated() {
            let script = folder.appendingPathComponent("\(array.name).sbatch")
            try write(array.script, to: script)
            let arguments = ["--parsable", script.path]
            submission.commands.append([sbatch] + arguments)
            let jobID = dryRun ? "DRYRUN\(number + 1)" : try run(sbatch, arguments)
            jobIDs.append(jobID)
            submission.arrays.append(SubmittedArray(jobID: jobID, script: script.path, array: array.arraySpecification,
                                                    time: array.time?.description, costFactor: array.costFactor,
                                                    cells: Dictionary(uniqueKeysWithValues: array.cellsByTask.map { ("\($0.key)", $0.value) })))
        }
        let reportScript = folder.appendingPathComponent("report.sbatch")
        try write(plan.reportScript, to: reportScript)
        let reportArguments = ["--parsable"] + (jobIDs.isEmpty ? [] : ["--dependency=afterany:" + jobIDs.joined(separator: ":")]) + [reportScript.path]
        submission.commands.append([sbatch] + reportArguments)
        if !dryRun { submission.reportJobID = try run(sbatch, reportArguments) }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let record = folder.appendingPathComponent(dryRun ? "dry-run.json" : "submission.json")
        do { try encoder.encode(submission).write(to: record, options: .atomic) }
        catch { throw CommandError("cannot write \(record.path): \(error.localizedDescription)") }
        return submission
    }

    static func write(_ text: String, to url: URL) throws {
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
            chmod(url.path, 0o755)
        } catch {
            throw CommandError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Runs `sbatch --parsable …` and returns the job id (the text before any `;cluster`).
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw CommandError("cannot run \(executable): \(error.localizedDescription)") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let jobID = text.split(separator: "\n").last.map { String($0.split(separator: ";").first ?? "") } ?? ""
        guard process.terminationStatus == 0, !jobID.isEmpty, jobID.allSatisfy(\.isNumber) else {
            throw CommandError("sbatch \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)): "
                               + (problem + text).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return jobID
    }

    static func findExecutable(_ name: String, environment: [String: String]) -> String? {
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
