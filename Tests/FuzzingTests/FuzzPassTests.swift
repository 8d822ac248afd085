import XCTest
import Foundation
@testable import TandemFuzzing

/// CI's deterministic fuzz pass: every reader of untrusted input gets its seed corpus and 20,000
/// mutated inputs (the same inputs on every run and machine). A crash kills the test process and
/// fails the run; every rejection must name the file. `make fuzz` runs the libFuzzer targets over
/// the same entry points for longer.
final class FuzzPassTests: XCTestCase {
    static let inputsPerReader = 20_000

    func pass(_ reader: FuzzReader, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try FuzzPass.run(reader, count: Self.inputsPerReader)
        print("fuzz pass — \(report)")
        XCTAssertEqual(report.inputs, Self.inputsPerReader + (try FuzzSeeds.seeds(for: reader).count), file: file, line: line)
        XCTAssertGreaterThan(report.rejected, 0, "the mutations never reached an error path", file: file, line: line)
        for (index, message) in report.unnamed.prefix(5) {
            XCTFail("\(reader) input #\(index): the rejection does not name \(reader.fileName): \(message)", file: file, line: line)
        }
    }

    func testRecipes() throws { try pass(.recipe) }
    func testNpyFiles() throws { try pass(.npy) }
    func testIDXFiles() throws { try pass(.idx) }
    func testDenseTreeMembers() throws { try pass(.tree) }
    func testCIFARFiles() throws { try pass(.cifar) }
    func testCheckpoints() throws { try pass(.checkpoint) }

    /// Every seed is a valid input (so mutations start from the accepting paths), and the
    /// committed libFuzzer corpus equals the generated one (`make fuzz-corpus` rewrites it).
    func testSeedsAreAcceptedAndTheCommittedCorpusIsCurrent() throws {
        let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")
        let write = ProcessInfo.processInfo.environment["TANDEM_WRITE_FUZZ_CORPUS"] == "1"
        for reader in FuzzReader.allCases {
            let seeds = try FuzzSeeds.seeds(for: reader)
            for (index, seed) in seeds.enumerated() {
                XCTAssertEqual(reader.read(seed), .accepted, "\(reader) seed \(index)")
                let url = corpusRoot.appendingPathComponent("\(reader.rawValue)/seed-\(index)")
                if write {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try seed.write(to: url)
                } else if reader != .checkpoint {
                    // Checkpoints hold float results, compared by the reader rather than byte for byte.
                    XCTAssertEqual(try? Data(contentsOf: url), seed, "\(url.path) is stale: run `make fuzz-corpus`")
                } else {
                    XCTAssertEqual(try reader.read(Data(contentsOf: url)), .accepted, url.path)
                }
            }
        }
    }

    func testMutationsAreDeterministic() throws {
        let driver = MutationDriver(corpus: try FuzzSeeds.seeds(for: .npy), seed: 42, textual: false)
        XCTAssertEqual((0..<50).map(driver.input), (0..<50).map(driver.input))
        XCTAssertNotEqual(driver.input(1), driver.input(2))
    }
}
