import XCTest
import Foundation

/// The same recipe and seed give the same numbers at any thread count: kernels split work at
/// boundaries fixed by the problem size (never by `TANDEM_THREADS`) and GEMMs are cut into blocks
/// the same way, so every output is accumulated in the same order with 1, 2 or 3 threads.
///
/// Both tests run the real `tandem` executable (built beside the tests) on rendered scenes with a
/// convolutional model (convolutions, transposed convolutions, batch norm, pooling, up-sampling,
/// all three dense losses), and compare the written files byte for byte, with only the measured
/// wall-clock fields (`secondsPerStep`, per-step `seconds`) taken out. At half width the model has
/// convolutions on both sides of `OneDNNConvolution.parallelWork` (16 → 16 channels at 32×64:
/// 38 M multiply-adds, run on every thread; 3 → 16: 7 M, on the calling thread alone).
final class ThreadCountDeterminismTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-threads-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
        name: threads
        seed: 3
        dataset: {name: synthetic-scenes, train: 48, validation: 16, test: 16, height: 32, width: 64}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
          - {name: normals, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.5}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        strategy_optimizer: {name: adam, learning_rate: 0.01}
        budget: {steps: 12, batch_size: 8}
        evaluation: {every: 6, selection: last, criterion: segmentation.mIoU, batch_size: 16}

        """.write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        try """
        name: threads
        recipe: base.yaml
        matrix:
          strategy: [ew, pcgrad]
          seed: [3]
        baselines: false

        """.write(to: folder.appendingPathComponent("suite.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Runs the `tandem` executable with `threads` kernel threads; fails the test on a non-zero exit.
    func runTandem(_ arguments: [String], threads: Int, environment extra: [String: String] = [:]) throws {
        guard let executable = KillAndResumeTests.executable else {
            XCTFail("the tandem executable was not built beside the tests")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_THREADS"] = "\(threads)"
        environment["OPENBLAS_NUM_THREADS"] = "\(threads)"
        environment.merge(extra) { $1 }
        process.environment = environment
        let log = folder.appendingPathComponent("log-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        if process.terminationStatus != 0 {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            XCTFail("tandem \(arguments.joined(separator: " ")) exited with \(process.terminationStatus):\n\(output.suffix(3000))")
        }
    }

    /// A JSON file with the measured wall-clock fields removed, re-encoded with sorted keys.
    /// Numbers are compared exactly: JSON decoding and encoding of a Double round-trips its bits.
    func withoutTimings(_ url: URL) throws -> Data {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try JSONSerialization.data(withJSONObject: Self.strippingTimings(object), options: [.sortedKeys])
    }

    static func strippingTimings(_ value: Any) -> Any {
        if var dictionary = value as? [String: Any] {
            dictionary["secondsPerStep"] = nil
            dictionary["seconds"] = nil
            // Provenance records the thread count, host and peak memory by design: not a result.
            dictionary["provenance"] = nil
            return dictionary.mapValues(strippingTimings)
        }
        if let array = value as? [Any] { return array.map(strippingTimings) }
        return value
    }

    /// Every line of `records.jsonl` without its timing.
    func recordsWithoutTimings(_ url: URL) throws -> [Data] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try JSONSerialization.data(withJSONObject: Self.strippingTimings(object), options: [.sortedKeys])
        }
    }

    func testTrainGivesIdenticalResultsWithOneTwoAndThreeThreads() throws {
        let recipe = folder.appendingPathComponent("base.yaml").path
        var results: [Data] = [], records: [[Data]] = []
        for threads in [1, 2, 3] {
            let output = folder.appendingPathComponent("train-\(threads)")
            try runTandem(["train", recipe, "--quiet", "--output", output.path], threads: threads)
            results.append(try withoutTimings(output.appendingPathComponent("result.json")))
            records.append(try recordsWithoutTimings(output.appendingPathComponent("records.jsonl")))
        }
        XCTAssertEqual(records[0].count, 12, "one record per step")
        for index in 1..<results.count {
            XCTAssertEqual(records[index], records[0], "records.jsonl with \(index + 1) threads differs from 1 thread")
            XCTAssertEqual(results[index], results[0], "result.json with \(index + 1) threads differs from 1 thread:\n"
                           + "\(String(decoding: results[index], as: UTF8.self).prefix(600))\nvs\n"
                           + "\(String(decoding: results[0], as: UTF8.self).prefix(600))")
        }
    }

    /// The training augmentation (`dataset.augmentation=true`) draws per sample from the run seed
    /// and the batch position, on the prefetching thread: the same bits with 1 and 3 threads.
    func testAugmentedTrainingGivesIdenticalResultsWithOneAndThreeThreads() throws {
        let recipe = folder.appendingPathComponent("base.yaml").path
        var results: [Data] = [], records: [[Data]] = []
        for threads in [1, 3] {
            let output = folder.appendingPathComponent("augmented-\(threads)")
            try runTandem(["train", recipe, "dataset.augmentation=true", "--quiet", "--output", output.path], threads: threads)
            results.append(try withoutTimings(output.appendingPathComponent("result.json")))
            records.append(try recordsWithoutTimings(output.appendingPathComponent("records.jsonl")))
        }
        XCTAssertEqual(records[0].count, 12, "one record per step")
        XCTAssertEqual(records[1], records[0], "records.jsonl with 3 threads differs from 1 thread")
        XCTAssertEqual(results[1], results[0], "result.json with 3 threads differs from 1 thread")
        let plain = folder.appendingPathComponent("plain")
        try runTandem(["train", recipe, "--quiet", "--output", plain.path], threads: 2)
        XCTAssertNotEqual(try recordsWithoutTimings(plain.appendingPathComponent("records.jsonl")), records[0],
                          "augmentation changed nothing")
    }

    /// The other convolution backend gives the same bits with 1 and 3 threads too: Tandem's own
    /// kernels (`TANDEM_CONVOLUTION=tandem`, the reference path) and oneDNN's (the default, which
    /// the other tests run unless the environment says otherwise), with other numbers between the
    /// two (so the backend really changed). Provenance names oneDNN when it ran.
    func testBothConvolutionBackendsGiveIdenticalResultsWithOneAndThreeThreads() throws {
        let recipe = folder.appendingPathComponent("base.yaml").path
        var firstRecords: [String: [Data]] = [:]
        for backend in ["tandem", "onednn"] {
            var records: [[Data]] = [], results: [Data] = []
            for threads in [1, 3] {
                let output = folder.appendingPathComponent("\(backend)-\(threads)")
                try runTandem(["train", recipe, "--quiet", "--output", output.path], threads: threads, environment: ["TANDEM_CONVOLUTION": backend])
                results.append(try withoutTimings(output.appendingPathComponent("result.json")))
                records.append(try recordsWithoutTimings(output.appendingPathComponent("records.jsonl")))
            }
            XCTAssertEqual(records[0].count, 12, "one record per step")
            XCTAssertEqual(records[1], records[0], "\(backend): records.jsonl with 3 threads differs from 1 thread")
            XCTAssertEqual(results[1], results[0], "\(backend): result.json with 3 threads differs from 1 thread")
            let provenance = try String(contentsOf: folder.appendingPathComponent("\(backend)-1/result.json"), encoding: .utf8)
            XCTAssertEqual(provenance.contains("oneDNN 2."), backend == "onednn", "provenance names oneDNN exactly when it ran")
            firstRecords[backend] = records[0]
        }
        XCTAssertNotEqual(firstRecords["tandem"], firstRecords["onednn"], "the backend changed nothing")
    }

    func testSuiteGivesIdenticalCellsWithOneAndTwoJobs() throws {
        let suite = folder.appendingPathComponent("suite.yaml").path
        // The parent has 2 threads: `--jobs 1` trains every cell with 2 threads in-process,
        // `--jobs 2` in two child processes of 1 thread each.
        let one = folder.appendingPathComponent("jobs1"), two = folder.appendingPathComponent("jobs2")
        try runTandem(["suite", suite, "--jobs", "1", "--output", one.path], threads: 2)
        try runTandem(["suite", suite, "--jobs", "2", "--output", two.path], threads: 2)
        let cells = try FileManager.default.contentsOfDirectory(atPath: one.appendingPathComponent("cells").path).sorted()
        XCTAssertEqual(cells.count, 2, "\(cells)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: two.appendingPathComponent("cells").path).sorted(), cells)
        for cell in cells {
            let a = one.appendingPathComponent("cells/\(cell)"), b = two.appendingPathComponent("cells/\(cell)")
            XCTAssertEqual(try withoutTimings(a.appendingPathComponent("result.json")),
                           try withoutTimings(b.appendingPathComponent("result.json")), "cell \(cell)")
            XCTAssertEqual(try recordsWithoutTimings(a.appendingPathComponent("records.jsonl")),
                           try recordsWithoutTimings(b.appendingPathComponent("records.jsonl")), "cell \(cell)")
        }
    }
}
