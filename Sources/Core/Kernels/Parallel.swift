import Dispatch
import Foundation

/// Work splitting over the machine's cores with boundaries that depend only on the problem size,
/// never on the number of threads or on timing.
///
/// A kernel's work is cut into chunks whose boundaries are a function of the element count and
/// the kernel's minimum chunk size alone; the chunks are then handed to however many threads there
/// are (`threadCount`: one runs them in order on the calling thread). Every output is computed by
/// exactly one chunk with the same instructions in the same order, so results are bit-identical
/// with `TANDEM_THREADS=1`, 2 or more, and however the threads are scheduled.
public enum Parallel {
    /// Number of worker threads used by kernels (at most 2 by default; `TANDEM_THREADS` overrides).
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["TANDEM_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// Most chunks one call is cut into. Fixed (not the thread count), so chunk boundaries stay the
    /// same on every machine; 8 keeps up to 8 threads busy and costs nothing measurable on 2.
    public static let maximumChunks = 8

    /// The number of chunks `count` elements are cut into for a kernel that wants at least
    /// `minimumPerChunk` elements per chunk: a function of the sizes only.
    @inline(__always)
    public static func chunkCount(_ count: Int, minimumPerChunk: Int) -> Int {
        min(maximumChunks, max(1, count / max(1, minimumPerChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous sub-ranges of `0..<count`.
    @inline(__always)
    public static func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        (count * chunk / chunks)..<(count * (chunk + 1) / chunks)
    }

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, at boundaries fixed by `count`
    /// and `minimumPerChunk` (see `chunkCount`). Work too small to split runs on the calling thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, minimumPerChunk: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, minimumPerChunk: minimumPerChunk)
        forEach(chunks) { chunk in
            let range = chunkRange(chunk, of: chunks, count: count)
            if !range.isEmpty { body(range) }
        }
    }

    /// Splits `0..<tasks` into one contiguous block per worker thread (at most `threadCount`) and
    /// calls `body(worker, block)` for each, concurrently: `worker` numbers the blocks from 0, so a
    /// kernel can give each worker its own scratch buffer. What a task computes must not depend on
    /// the worker that runs it (only the scratch it uses does).
    @inline(__always)
    public static func forEachWorker(_ tasks: Int, _ body: (_ worker: Int, _ tasks: Range<Int>) -> Void) {
        if tasks <= 0 { return }
        let workers = min(threadCount, tasks)
        if workers <= 1 {
            body(0, 0..<tasks)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            body(worker, chunkRange(worker, of: workers, count: tasks))
        }
    }

    /// Calls `body(i)` for every `i` in `0..<tasks`, spread over `threadCount` threads: each
    /// thread takes a contiguous block of task indices. Which thread runs a task never changes
    /// what the task computes.
    @inline(__always)
    public static func forEach(_ tasks: Int, _ body: (Int) -> Void) {
        forEach(tasks, inParallel: true, body)
    }

    /// The same, or every task in order on the calling thread when `inParallel` is false (work too
    /// small to pay for waking other threads). The tasks, and so the results, are the same.
    @inline(__always)
    public static func forEach(_ tasks: Int, inParallel: Bool, _ body: (Int) -> Void) {
        if tasks <= 0 { return }
        let workers = inParallel ? min(threadCount, tasks) : 1
        if workers <= 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for task in chunkRange(worker, of: workers, count: tasks) { body(task) }
        }
    }
}
