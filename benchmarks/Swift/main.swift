import Foundation
import TandemCore

// `tandem-bench NAME [options]`: Tandem's side of the speed comparisons in benchmarks/.
// Each benchmark prints JSON lines (one per measured shape) for benchmarks/compare.py to pair with
// the PyTorch peer's lines. Options are `key=value` words (see Timing.swift); see
// benchmarks/README.md for the commands compare.py runs.

let arguments = Array(CommandLine.arguments.dropFirst())
let benchmarks: [String: ([String]) -> Void] = [
    "core": runCoreBenchmark,
    "data": { _ in runSyntheticScenesBenchmark() },
    "probe": runProbe,
    "models": runModelBenchmark,  // DatasetBenchmarks.swift (datasets engineer)
    "tmt": runTMTBenchmark,  // TMTBenchmarks.swift (issue 10)
    "strategy": runStrategyBenchmark,  // StrategyBenchmarks.swift (issues 9 and 14)
]

// Run with the OpenBLAS kernels the `tandem` command would use under the same TANDEM_NUMERICS
// (portable: Haswell; native: a user's OPENBLAS_CORETYPE, else the CPU's best known family).
BLASKernelSelection.reexecuteForNumericsPolicyIfNeeded()
_ = baselineResidentMiB  // read before any benchmark allocates

guard let name = arguments.first, let run = benchmarks[name] else {
    FileHandle.standardError.write("usage: tandem-bench NAME [options]; benchmarks: \(benchmarks.keys.sorted().joined(separator: ", "))\n".data(using: .utf8)!)
    exit(2)
}
run(Array(arguments.dropFirst()))
