import Foundation
import CMPI
import TandemCore

/// The processes of a run started by `mpirun -np N tandem train …` (or `srun` under Slurm), over
/// Open MPI's `MPI_COMM_WORLD`.
///
/// A process joins only when a launcher started it (`MPIProcessGroup.launched`): a plain
/// `tandem train` never initialises MPI. Any failure of a rank is fatal to the whole job (MPI's
/// default error handler): `mpirun` ends every rank and names the one that failed, and the run
/// folder keeps its last checkpoint, which `--resume` continues with any process count.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let world = tandem_mpi_comm_world()

    /// The variables an MPI launcher sets in each process it starts: Open MPI's `mpirun`, and PMIx
    /// or PMI under `srun --mpi=pmix|pmi2`.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"]

    /// Whether an MPI launcher started this process.
    public static func launched(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    nonisolated(unsafe) private static var shared: MPIProcessGroup?

    /// The group of this process, initialising MPI on first use (once per process).
    public static func joined() -> MPIProcessGroup {
        if let shared { return shared }
        let group = MPIProcessGroup()
        shared = group
        return group
    }

    private init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func allGather(_ values: [Float]) -> [[Float]] { allGather(values, type: tandem_mpi_float()) }
    public func allGather(_ values: [Double]) -> [[Double]] { allGather(values, type: tandem_mpi_double()) }

    private func allGather<Value: Numeric>(_ values: [Value], type: MPI_Datatype) -> [[Value]] {
        precondition(values.count <= Int(Int32.max), "allGather: \(values.count) values are more than one MPI message carries")
        var count = Int32(values.count)
        var counts = [Int32](repeating: 0, count: size)
        MPI_Allgather(&count, 1, tandem_mpi_int(), &counts, 1, tandem_mpi_int(), world)
        let offsets = MPIProcessGroup.offsets(counts)
        var received = [Value](repeating: 0, count: Int(offsets[size - 1] + counts[size - 1]))
        values.withUnsafeBufferPointer { sent in
            received.withUnsafeMutableBufferPointer { target in
                _ = MPI_Allgatherv(sent.baseAddress, count, type, target.baseAddress, counts, offsets, type, world)
            }
        }
        return (0..<size).map { Array(received[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    public func allToAll(_ parts: [[Float]]) -> [[Float]] {
        precondition(parts.count == size, "allToAll: \(parts.count) parts for \(size) ranks")
        var sendCounts = parts.map { Int32($0.count) }
        var receiveCounts = [Int32](repeating: 0, count: size)
        MPI_Alltoall(&sendCounts, 1, tandem_mpi_int(), &receiveCounts, 1, tandem_mpi_int(), world)
        let sendOffsets = MPIProcessGroup.offsets(sendCounts), receiveOffsets = MPIProcessGroup.offsets(receiveCounts)
        let sent = parts.flatMap { $0 }
        var received = [Float](repeating: 0, count: Int(receiveOffsets[size - 1] + receiveCounts[size - 1]))
        _ = MPI_Alltoallv(sent, sendCounts, sendOffsets, tandem_mpi_float(), &received, receiveCounts, receiveOffsets, tandem_mpi_float(), world)
        return (0..<size).map { Array(received[Int(receiveOffsets[$0])..<Int(receiveOffsets[$0] + receiveCounts[$0])]) }
    }

    /// Where each rank's part starts in the concatenation of all parts.
    private static func offsets(_ counts: [Int32]) -> [Int32] {
        var offsets = [Int32](repeating: 0, count: counts.count)
        for index in counts.indices.dropFirst() { offsets[index] = offsets[index - 1] + counts[index - 1] }
        return offsets
    }

    /// Waits until every rank gets here.
    public func barrier() { MPI_Barrier(world) }

    /// Ends every rank of the job with `code` (after a rank's fatal error, so that the others do
    /// not wait for it in a collective).
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    /// Leaves MPI at the end of a run (every rank).
    public func finish() { MPI_Finalize() }
}
