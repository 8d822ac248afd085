import Foundation
import TandemCore

// Timing protocol shared with the PyTorch peer (benchmarks/peer/timing.py does the same):
// run `warmup` untimed repetitions, then time single repetitions until at least `minimumRepetitions`
// were taken AND at least `minimumSeconds` passed (or `maximumRepetitions` were taken), and report
// the median. Medians ignore the occasional slow repetition (page faults, a scheduler hiccup).

/// Options of one benchmark invocation, given on the command line as `key=value` words
/// (e.g. `tandem-bench core conv batch=8 in=64 out=64 height=64 width=96 kernel=3 padding=1`).
struct BenchmarkOptions {
    var positional: [String] = []
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        for argument in arguments {
            if let equals = argument.firstIndex(of: "=") {
                values[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else {
                positional.append(argument)
            }
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int {
        guard let text = values[key] else { return fallback }
        guard let value = Int(text) else { fail("option \(key)=\(text) is not an integer") }
        return value
    }

    func double(_ key: String, _ fallback: Double) -> Double {
        guard let text = values[key] else { return fallback }
        guard let value = Double(text) else { fail("option \(key)=\(text) is not a number") }
        return value
    }

    func string(_ key: String, _ fallback: String) -> String { values[key] ?? fallback }

    /// The repetition policy, overridable per invocation.
    var policy: RepetitionPolicy {
        RepetitionPolicy(warmup: int("warmup", 3), minimumRepetitions: int("reps", 10),
                         maximumRepetitions: int("max_reps", 200), minimumSeconds: double("min_time", 2))
    }
}

struct RepetitionPolicy {
    var warmup: Int
    var minimumRepetitions: Int
    var maximumRepetitions: Int
    var minimumSeconds: Double
}

struct TimingSummary {
    var samples: [Double]  // seconds, in the order they were taken

    var sorted: [Double] { samples.sorted() }
    var median: Double {
        let s = sorted
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var minimum: Double { samples.min() ?? .nan }
    var maximum: Double { samples.max() ?? .nan }
    var mean: Double { samples.reduce(0, +) / Double(max(samples.count, 1)) }
}

@inline(__always)
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Times `body` under `policy`. `body` must do the whole piece of work once (and keep its results
/// alive until it returns, so nothing is skipped).
func measure(_ policy: RepetitionPolicy, _ body: () -> Void) -> TimingSummary {
    for _ in 0..<policy.warmup { body() }
    var samples: [Double] = []
    let start = now()
    while samples.count < policy.maximumRepetitions
            && (samples.count < policy.minimumRepetitions || now() - start < policy.minimumSeconds) {
        let t0 = now()
        body()
        samples.append(now() - t0)
    }
    return TimingSummary(samples: samples)
}

/// Prints one result line as JSON (the format benchmarks/compare.py reads from both sides).
func report(_ fields: [String: Any], _ timing: TimingSummary) {
    var line = fields
    line["side"] = "tandem"
    line["median_ms"] = timing.median * 1e3
    line["mean_ms"] = timing.mean * 1e3
    line["min_ms"] = timing.minimum * 1e3
    line["max_ms"] = timing.maximum * 1e3
    line["reps"] = timing.samples.count
    line["threads"] = Parallel.threadCount
    line["baseline_rss_mib"] = baselineResidentMiB
    let data = try! JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
    fflush(stdout)
}

/// Peak resident memory of this process so far, in MiB (the kernel's max RSS).
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Peak RSS when the benchmark started (before its data was made): the runtime's own footprint.
/// compare.py reports peak − baseline beside the peak, since PyTorch's import alone costs far more.
let baselineResidentMiB = peakResidentMiB()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("tandem-bench: \(message)\n".data(using: .utf8)!)
    exit(2)
}
