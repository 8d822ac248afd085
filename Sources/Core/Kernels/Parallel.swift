import Dispatch
import Foundation

/// Work splitting over the machine's cores with boundaries that depend only on the problem size,
/// never on timing: each output element is always computed by exactly one chunk in a fixed order,
/// so results are bit-identical however the threads are scheduled.
public enum Parallel {
    /// Number of worker threads used by kernels (at most 2 by default; `TANDEM_THREADS` overrides).
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["TANDEM_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// Calls `body` on disjoint sub-ranges covering `0..<count`. Work smaller than `minimumPerChunk`
    /// per thread runs on the calling thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, minimumPerChunk: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, max(1, count / max(1, minimumPerChunk)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }
}
