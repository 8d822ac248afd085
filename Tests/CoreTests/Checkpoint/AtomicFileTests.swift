import Foundation
import XCTest
@testable import TandemCore

/// The one atomic writer behind checkpoints, safetensors files, results and dataset caches: the
/// new bytes or the old ones under the name, never a temporary file left behind, never a planted
/// link written through, and failures that name the path.
final class AtomicFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func temporaryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
    }

    func testWritesReplaceTheFileAndLeaveNoTemporaryFile() throws {
        let url = folder.appendingPathComponent("nested/weights.bin")
        try AtomicFile.write(Data("first".utf8), to: url)
        try AtomicFile.write(Data("second, longer".utf8), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data("second, longer".utf8))
        try AtomicFile.write(Data(), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path), ["weights.bin"])
    }

    func testALinkPlantedUnderTheTemporaryNameIsNotWrittenThrough() throws {
        let url = folder.appendingPathComponent("result.json")
        let victim = folder.appendingPathComponent("victim.txt")
        try Data("precious".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(at: AtomicFile.temporaryURL(of: url), withDestinationURL: victim)
        try AtomicFile.write(Data("{}".utf8), to: url)
        XCTAssertEqual(try Data(contentsOf: victim), Data("precious".utf8))
        XCTAssertEqual(try Data(contentsOf: url), Data("{}".utf8))
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testTemporaryFilesOfDeadWritersGoAndThoseOfLiveOnesStay() throws {
        let url = folder.appendingPathComponent("checkpoint.tandem")
        let dead = folder.appendingPathComponent(".checkpoint.tandem.2147483646.tmp")
        let live = folder.appendingPathComponent(".checkpoint.tandem.1.tmp")  // init never exits
        let unrelated = folder.appendingPathComponent(".other.tandem.2147483646.tmp")
        for file in [dead, live, unrelated] { try Data("half".utf8).write(to: file) }
        try AtomicFile.write(Data("whole".utf8), to: url)
        XCTAssertEqual(try temporaryFiles().sorted(), [".checkpoint.tandem.1.tmp", ".other.tandem.2147483646.tmp"])
    }

    func testFailuresNameThePathAndTheReason() throws {
        let blocker = folder.appendingPathComponent("a-file")
        try Data().write(to: blocker)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: blocker.appendingPathComponent("out.bin"))) { error in
            let failure = error as? AtomicFile.Failure
            XCTAssertEqual(failure?.path, blocker.appendingPathComponent("out.bin").path)
            XCTAssertTrue(failure?.problem.contains("not a folder") ?? false, "\(error)")
        }
        // A folder in the target's place: the rename fails, and the temporary file is removed.
        let taken = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: taken.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: taken)) { error in
            let failure = error as? AtomicFile.Failure
            XCTAssertEqual(failure?.path, taken.path)
            XCTAssertTrue(failure?.problem.contains("cannot move the new file into place") ?? false, "\(error)")
        }
        XCTAssertEqual(try temporaryFiles(), [])
    }
}
