import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// Round 3: a tiny file never asks for unbounded work. Suite includes do not nest (so an
/// `include:` cycle ends at once), a matrix is counted before any cell is made and refused above
/// `Suite.maximumCells`, and a checkpoint's declared size is checked against what the run can
/// hold before it is decompressed.
final class UnboundedWorkTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-unbounded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func testIncludeCyclesEndWithAnError() throws {
        try write("a.yaml", "recipe: base.yaml\nbaselines: false\ninclude: [b.yaml]\n")
        try write("b.yaml", "recipe: base.yaml\nbaselines: false\nmatrix: {seed: [1]}\ninclude: [a.yaml]\n")
        try write("c.yaml", "recipe: base.yaml\nbaselines: false\nmatrix: {seed: [2]}\ninclude: [c2.yaml]\n")
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("c2.yaml"), withDestinationURL: folder.appendingPathComponent("b.yaml"))
        for file in ["a.yaml", "b.yaml", "c.yaml"] {
            XCTAssertThrowsError(try Suite.load(folder.appendingPathComponent(file).path), file) {
                XCTAssertTrue("\($0)".contains("has an `include:` of its own"), "\($0)")
            }
        }
    }

    func testHugeMatricesAreRefusedBeforeAnyCellIsMade() throws {
        let ten = "[" + (0..<10).map(String.init).joined(separator: ", ") + "]"
        for axes in [8, 5, 4] {   // 10⁸, 10⁵ and 10⁴ cells
            let matrix = (0..<axes).map { "  axis\($0): \(ten)" }.joined(separator: "\n")
            try write("huge.yaml", "recipe: base.yaml\nbaselines: false\nmatrix:\n\(matrix)\n")
            XCTAssertThrowsError(try Suite.load(folder.appendingPathComponent("huge.yaml").path), "\(axes) axes") {
                XCTAssertTrue("\($0)".contains("huge.yaml:4:") && "\($0)".contains("more than the \(Suite.maximumCells)"), "\($0)")
            }
        }
        // Included suites count towards the same bound.
        let half = "[" + (0..<64).map(String.init).joined(separator: ", ") + "]"
        try write("part.yaml", "recipe: base.yaml\nbaselines: false\nmatrix:\n  x: \(half)\n  y: \(half)\n")
        try write("whole.yaml", "recipe: base.yaml\nbaselines: false\nmatrix:\n  z: [0]\ninclude: [part.yaml]\n")
        XCTAssertThrowsError(try Suite.load(folder.appendingPathComponent("whole.yaml").path)) {
            XCTAssertTrue("\($0)".contains("whole.yaml:5:") && "\($0)".contains("4097 matrix cells"), "\($0)")
        }
        XCTAssertEqual(try Suite.load(folder.appendingPathComponent("part.yaml").path).cells().count, 4096)
    }

    /// A frame declaring 1 GiB in 40 kB: the old bound (what a frame of that length could hold)
    /// let it through to a 1 GiB allocation; the run's own bound refuses it first.
    func testACheckpointLargerThanTheRunCanHoldIsRefusedBeforeDecompression() throws {
        var frame = Data([0x28, 0xB5, 0x2F, 0xFD, 0b1110_0000])   // magic; 8-byte content size, single segment
        withUnsafeBytes(of: (UInt64(1) << 30).littleEndian) { frame.append(contentsOf: $0) }
        let blockSize = 40_000
        withUnsafeBytes(of: UInt32(blockSize << 3 | 1).littleEndian) { frame.append(contentsOf: $0.prefix(3)) }   // last raw block
        frame.append(Data(count: blockSize))
        XCTAssertLessThan(1 << 30, frame.count * Zstd.maximumExpansion)

        let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path)
        let run = folder.appendingPathComponent("run")
        let experiment = try Experiment(recipe: recipe, outputFolder: run)
        let bound = try experiment.maximumCheckpointSize()
        XCTAssertLessThan(bound, 1 << 30)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try frame.write(to: experiment.checkpointURL)
        XCTAssertThrowsError(try experiment.run(resume: true)) {
            XCTAssertTrue("\($0)".contains("checkpoint.tandem") && "\($0)".contains("declares 1073741824 bytes"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: experiment.checkpointURL), frame, "the refused checkpoint is left as it was")

        // A checkpoint the run wrote itself is well inside the bound.
        let own = try experiment.checkpoint(experiment.trainer, recipe: recipe, data: "data").encoded()
        XCTAssertNoThrow(try Checkpoint(decoding: own, source: "own", maximumSize: bound))
    }
}
