import Foundation

/// The progress lines of a suite run: `[3/14] strategy=uw,seed=0 started`, then
/// `[3/14] strategy=uw,seed=0 finished in 21.4 s — 5 of 14 done, ETA 3:40`. The ETA is the mean
/// time of the cells finished so far times the cells left, over the parallel jobs.
public struct SuiteProgress {
    public let total: Int
    public let jobs: Int
    private var starts: [String: (number: Int, date: Date)] = [:]
    private var startedCount = 0
    private var durations: [Double] = []
    private var doneCount = 0
    private let now: () -> Date

    public init(total: Int, jobs: Int, now: @escaping () -> Date = Date.init) {
        self.total = total
        self.jobs = max(1, jobs)
        self.now = now
    }

    public mutating func started(_ identifier: String) -> String {
        startedCount += 1
        starts[identifier] = (startedCount, now())
        return "[\(startedCount)/\(total)] \(identifier) started"
    }

    /// A cell that was not started after all (counted as done, with no time).
    public mutating func skipped() {
        startedCount += 1
        doneCount += 1
    }

    public mutating func finished(_ identifier: String) -> String {
        "\(ended(identifier)) finished in \(time(identifier)) — \(summary())"
    }

    public mutating func failed(_ identifier: String, status: Int32) -> String {
        "\(ended(identifier)) FAILED (exit \(status)) after \(time(identifier)) — \(summary())"
    }

    private var lastDuration: Double = 0

    private mutating func ended(_ identifier: String) -> String {
        let start = starts[identifier] ?? (0, now())
        lastDuration = now().timeIntervalSince(start.date)
        durations.append(lastDuration)
        doneCount += 1
        return "[\(start.number)/\(total)] \(identifier)"
    }

    private func time(_ identifier: String) -> String { String(format: "%.1f s", lastDuration) }

    private func summary() -> String {
        let left = total - doneCount
        guard left > 0 else { return "\(doneCount) of \(total) done" }
        let mean = durations.reduce(0, +) / Double(max(1, durations.count))
        let eta = mean * Double(left) / Double(min(jobs, left))
        return "\(doneCount) of \(total) done, ETA \(SuiteProgress.clock(eta))"
    }

    /// `m:ss` or `h:mm:ss`.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
