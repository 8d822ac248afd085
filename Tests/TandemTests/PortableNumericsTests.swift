import XCTest
import Foundation
import TandemCore
@testable import Tandem

/// `TANDEM_NUMERICS=portable` gives one recipe the same numbers whatever OPENBLAS_CORETYPE the
/// environment sets (unset, Haswell, SkylakeX where the CPU has AVX-512) — with oneDNN's
/// convolutions capped at AVX2 as well — and result.json says which numerics and kernels made them.
final class PortableNumericsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-numerics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
        name: numerics
        seed: 5
        dataset: {name: synthetic-scenes, train: 32, validation: 16, test: 16, height: 32, width: 32}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: primary}
        model: {name: splitvgg, split: 3, width: 0.25}
        strategy: pcgrad
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 6, batch_size: 8}
        evaluation: {batch_size: 16}

        """.write(to: folder.appendingPathComponent("recipe.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Trains the recipe with `tandem train` under `environment` (on top of this process's, less
    /// its numerics settings) and returns result.json.
    func train(_ name: String, _ environment: [String: String], arguments: [String] = []) throws -> [String: Any] {
        let executable = try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
        let output = folder.appendingPathComponent(name)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["train", folder.appendingPathComponent("recipe.yaml").path, "--output", output.path, "--quiet"] + arguments
        var merged = ProcessInfo.processInfo.environment
        merged["OPENBLAS_CORETYPE"] = nil
        merged["TANDEM_NUMERICS"] = nil
        merged["TANDEM_CONVOLUTION"] = nil
        merged.merge(environment) { $1 }
        process.environment = merged
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        let data = try Data(contentsOf: output.appendingPathComponent("result.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func numbers(_ result: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: ThreadCountDeterminismTests.strippingTimings(result), options: [.sortedKeys])
    }

    func testPortableNumbersDoNotDependOnTheEnvironmentsKernels() throws {
        let flags = BLASKernelSelection.cpuFlags
        try XCTSkipUnless(BLASKernelSelection.cpuRunsPortableKernels(flags: flags), "this CPU lacks AVX2/FMA: portable numerics cannot be had here")
        var environments: [(String, [String: String])] = [
            ("unset", ["TANDEM_NUMERICS": "portable"]),
            ("haswell", ["TANDEM_NUMERICS": "portable", "OPENBLAS_CORETYPE": "Haswell"]),
            ("default-policy", ["OPENBLAS_CORETYPE": "Haswell"]),
        ]
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if avx512 {
            environments.append(("skylakex", ["TANDEM_NUMERICS": "portable", "OPENBLAS_CORETYPE": "SkylakeX"]))
            environments.append(("flag", ["TANDEM_NUMERICS": "native", "OPENBLAS_CORETYPE": "SkylakeX"]))
        }
        var reference: Data?
        for (name, environment) in environments {
            let result = try train(name, environment, arguments: name == "flag" ? ["--numerics", "portable"] : [])
            let provenance = try XCTUnwrap(result["provenance"] as? [String: Any])
            XCTAssertEqual(provenance["numerics"] as? String, "portable", name)
            XCTAssertEqual(provenance["openBLASCore"] as? String, "Haswell", name)
            // oneDNN (the default convolution backend) capped at AVX2, like OpenBLAS.
            let family = try XCTUnwrap(provenance["kernelFamily"] as? String, name)
            XCTAssertTrue(family.hasPrefix("OpenBLAS Haswell, Tandem x86-64 baseline, convolutions oneDNN 2.") && family.hasSuffix(" AVX2"),
                          "\(name): \(family)")
            let values = try numbers(result)
            if let reference { XCTAssertEqual(values, reference, "\(name): other numbers than with OPENBLAS_CORETYPE unset") }
            reference = reference ?? values
        }
        guard avx512 else { return }
        // Native keeps the environment's family and says so.
        let native = try train("native", ["TANDEM_NUMERICS": "native", "OPENBLAS_CORETYPE": "SkylakeX"])
        let provenance = try XCTUnwrap(native["provenance"] as? [String: Any])
        XCTAssertEqual(provenance["numerics"] as? String, "native")
        XCTAssertEqual(provenance["openBLASCore"] as? String, "SkylakeX")
    }
}
