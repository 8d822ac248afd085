import ArgumentParser
import TandemCore
import Tandem

/// Runs a command's `body` in the process group it was started in: one of N MPI ranks when
/// `mpirun -np N` or `srun` started it (docs/distributed.md), else a single process. A failure
/// on one rank would leave the others waiting in a collective, so it ends them all (`MPI_Abort`,
/// with the failing command's exit code).
func inProcessGroup(_ body: (ProcessGroup) throws -> Void) throws {
    guard MPIProcessGroup.launched() else { return try body(SingleProcess()) }
    let group = MPIProcessGroup.joined()
    do { try body(group) }
    catch {
        if group.size > 1 { group.abort(code: (error as? ExitCode)?.rawValue ?? 1) }
        group.finish()
        throw error
    }
    group.finish()
}

extension ProcessGroup {
    /// `message` naming this rank when the run has several: every rank prints its own failure
    /// (the first to fail ends the others, which may not get to print theirs).
    func named(_ message: String) -> String { label.map { "\($0): \(message)" } ?? message }

    /// "rank r of N" when the run has several processes.
    var label: String? { size > 1 ? "rank \(rank) of \(size)" : nil }
}
