import XCTest
import Foundation
import TandemCore
@testable import Tandem

/// Every result.json records where it came from and the trivial predictor's metrics.
final class ProvenanceTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-provenance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testResultRecordsProvenanceAndTrivialReference() throws {
        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path, overrides: ["budget.steps=2"])
        let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("run"))
        let result = try experiment.run()
        let saved = try JSONDecoder().decode(Experiment.Result.self, from: Data(contentsOf: experiment.resultURL))
        XCTAssertEqual(saved, result)
        let provenance = try XCTUnwrap(saved.provenance)
        XCTAssertEqual(provenance.tandemVersion, TandemVersion.current)
        XCTAssertEqual(provenance.threads, Parallel.threadCount)
        XCTAssertEqual(provenance.openBLASCore, BLASKernelSelection.coreName)
        XCTAssertEqual(provenance.numerics, NumericsPolicy.inEffect().rawValue)
        XCTAssertEqual(provenance.kernelFamily, NumericsPolicy.kernelFamily)
        XCTAssertEqual(provenance.metricsVersion, StandardMetrics.implementationVersion)
        XCTAssertEqual(provenance.recipeHash, RecipeFingerprint.hash(recipe))
        XCTAssertEqual(provenance.host, ProcessInfo.processInfo.hostName)
        XCTAssertGreaterThan(provenance.peakResidentBytes, 1_000_000)
        XCTAssertTrue(provenance.swiftVersion.hasPrefix("6."), provenance.swiftVersion)
        // The tests run from a git checkout (CI clones the repository): the commit is a 40-digit hash.
        XCTAssertEqual(provenance.gitCommit?.count, 40, "\(String(describing: provenance.gitCommit))")
        XCTAssertNotNil(provenance.gitDirty)
        XCTAssertEqual(provenance.slurmArrayTaskID, ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"])
        XCTAssertEqual(provenance.processes, 1)
        XCTAssertEqual(provenance.microBatches, 1)
        var overTwo = provenance
        (overTwo.processes, overTwo.microBatches) = (2, 4)
        let summary = Provenance.summary(of: [provenance, overTwo])
        XCTAssertTrue(summary.contains("processes 1 (1 cells), 2 (1 cells)"), "\(summary)")
        XCTAssertTrue(summary.contains("micro-batches 1 (1 cells), 4 (1 cells)"), "\(summary)")

        let trivial = try XCTUnwrap(saved.trivialReference?["test"])
        XCTAssertEqual(Set(trivial.keys), ["segmentation", "depth"])
        XCTAssertNotNil(trivial["segmentation"]?["mIoU"])
        XCTAssertNotNil(trivial["depth"]?["absError"])
        XCTAssertNotNil(saved.trivialReference?["validation"])
        // The same constant on the same split, whatever the model did: a second run agrees.
        let again = try Experiment(recipe: try Recipe.load(folder.appendingPathComponent("base.yaml").path, overrides: ["budget.steps=3", "strategy=pcgrad"]),
                                   outputFolder: folder.appendingPathComponent("again")).run()
        XCTAssertEqual(again.trivialReference, saved.trivialReference)
        XCTAssertNotEqual(again.provenance?.recipeHash, provenance.recipeHash)
    }

    func testRecipeFingerprintIgnoresFormButNotValues() throws {
        let base = folder.appendingPathComponent("base.yaml").path
        let plain = try Recipe.load(base)
        // The same values through overrides, in another file with `base:`, and with another output: same fingerprint.
        let overridden = try Recipe.load(base, overrides: ["budget.steps=8", "optimizer={name: sgd, learning_rate: 0.05, momentum: 0.9}"])
        try "base: base.yaml\noutput: elsewhere\n".write(to: folder.appendingPathComponent("derived.yaml"), atomically: true, encoding: .utf8)
        let derived = try Recipe.load(folder.appendingPathComponent("derived.yaml").path)
        XCTAssertEqual(RecipeFingerprint.hash(overridden), RecipeFingerprint.hash(plain))
        XCTAssertEqual(RecipeFingerprint.hash(derived), RecipeFingerprint.hash(plain), RecipeFingerprint.text(derived) + "\n" + RecipeFingerprint.text(plain))
        XCTAssertFalse(RecipeFingerprint.text(plain).contains(base), "no file paths: \(RecipeFingerprint.text(plain))")
        // Any changed value changes it: the seed, an option, a task role, the learning rate.
        for change in ["seed=1", "model.width=0.125", "tasks=[segmentation, depth]", "optimizer.learning_rate=0.04", "budget.batch_size=2"] {
            XCTAssertNotEqual(RecipeFingerprint.hash(try Recipe.load(base, overrides: [change])), RecipeFingerprint.hash(plain), change)
        }
    }
}
