import Foundation
import TandemDatasets

/// Times synthetic-scenes generation: a 1,000-image 64×96 set (the issue's target is < 10 s on the
/// 2-core machine), rendered on 1 and on 2 threads, and prints one JSON line per measurement.
func runSyntheticScenesBenchmark() {
    do {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 1000, height: 64, width: 96, seed: 0))
        for threads in [1, 2] {
            let start = Date()
            let samples = try scenes.allSamples(threads: threads)
            let seconds = Date().timeIntervalSince(start)
            print("{\"benchmark\": \"synthetic-scenes\", \"count\": \(samples.count), \"height\": 64, \"width\": 96, "
                + "\"threads\": \(threads), \"seconds\": \(String(format: "%.3f", seconds)), "
                + "\"images_per_second\": \(String(format: "%.1f", Double(samples.count) / seconds))}")
        }
    } catch {
        FileHandle.standardError.write("synthetic-scenes benchmark failed: \(error)\n".data(using: .utf8)!)
    }
}
