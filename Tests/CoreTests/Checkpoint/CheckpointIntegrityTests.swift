import XCTest
import Foundation
@testable import TandemCore

/// Damaged and crafted checkpoints are refused with a message naming the file and the field —
/// never a trap, never silently accepted.
final class CheckpointIntegrityTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func sample() -> Checkpoint {
        Checkpoint(tensors: [("parameters.a", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                             ("parameters.b", Tensor(shape: [4], scalars: [7, 8, 9, 10]))],
                   metadata: Data("{\"x\":1}".utf8), attributes: ["recipe.seed": "0"])
    }

    /// A payload with a chosen JSON header and data and a correct CRC, compressed: only the range
    /// checks can refuse it.
    func crafted(header: String, floats: Int, headerLength: UInt64? = nil, version: UInt32 = Checkpoint.formatVersion) throws -> Data {
        var body = Data(header.utf8)
        body.append(Data(count: floats * 4))
        var payload = Data(Checkpoint.magic)
        withUnsafeBytes(of: version.littleEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: (headerLength ?? UInt64(header.utf8.count)).littleEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: body.withUnsafeBytes { CRC32.checksum($0) }.littleEndian) { payload.append(contentsOf: $0) }
        payload.append(body)
        return try Zstd.compress(payload)
    }

    func assertRefused(_ data: Data, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint(decoding: data, source: "/runs/x/checkpoint.tandem"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("/runs/x/checkpoint.tandem: "), text, file: file, line: line)
            for word in words { XCTAssertTrue(text.contains(word), "'\(word)' missing from: \(text)", file: file, line: line) }
        }
    }

    func testRoundTripKeepsTensorsMetadataAndAttributes() throws {
        let decoded = try Checkpoint(decoding: sample().encoded(), source: "x")
        XCTAssertEqual(decoded.tensors.map(\.name), ["parameters.a", "parameters.b"])
        XCTAssertEqual(decoded.tensors[0].tensor.shape, [2, 3])
        XCTAssertEqual(decoded.tensors[1].tensor.scalars, [7, 8, 9, 10])
        XCTAssertEqual(decoded.metadata, Data("{\"x\":1}".utf8))
        XCTAssertEqual(decoded.attributes, ["recipe.seed": "0"])
    }

    /// Every single-bit flip of the uncompressed payload (re-compressed, so zstd's own checks
    /// pass) is caught by the CRC or by a header check.
    func testEveryBitFlipOfThePayloadIsRefused() throws {
        let payload = try Zstd.decompress(sample().encoded())
        for byte in 0..<payload.count {
            for bit in [0, 3, 7] {
                var damaged = payload
                damaged[byte] ^= UInt8(1 << bit)
                let data = try Zstd.compress(damaged)
                XCTAssertThrowsError(try Checkpoint(decoding: data, source: "ck"), "flip of bit \(bit) in byte \(byte) was accepted")
            }
        }
        assertRefused(try {
            var damaged = payload
            damaged[payload.count - 1] ^= 1
            return try Zstd.compress(damaged)
        }(), mentioning: ["checksum mismatch", "damaged"])
    }

    func testCompressedDamageIsRefused() throws {
        var data = try sample().encoded()
        data[data.count / 2] ^= 0x10
        assertRefused(data, mentioning: [])
        assertRefused(Data(data.prefix(data.count - 5)), mentioning: [])
        assertRefused(Data(), mentioning: ["zstd"])
    }

    func testCraftedHeadersAreRangeChecked() throws {
        func header(_ entries: String) -> String { "{\"entries\":[\(entries)],\"metadata\":\"\"}" }
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[2],\"offset\":-4}"), floats: 2), mentioning: ["'a'", "offset -4"])
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[-2,3],\"offset\":0}"), floats: 6), mentioning: ["'a'", "shape"])
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[4611686018427387904,4],\"offset\":0}"), floats: 2),
                      mentioning: ["'a'", "too large"])
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[1000],\"offset\":0}"), floats: 2), mentioning: ["'a'", "needs 1000"])
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[1],\"offset\":0},{\"name\":\"a\",\"shape\":[1],\"offset\":1}"), floats: 2),
                      mentioning: ["'a'", "twice"])
        assertRefused(try crafted(header: header("{\"name\":\"a\",\"shape\":[1],\"offset\":0}"), floats: 3), mentioning: ["cover 1 values", "holds 3"])
        assertRefused(try crafted(header: header(""), floats: 0, headerLength: UInt64.max), mentioning: ["header length"])
        assertRefused(try crafted(header: header(""), floats: 0, version: 1), mentioning: ["format version 1"])
        assertRefused(try crafted(header: "{\"entries\": 3}", floats: 0), mentioning: ["unreadable header"])
        XCTAssertNoThrow(try Checkpoint(decoding: crafted(header: header("{\"name\":\"a\",\"shape\":[0,3],\"offset\":0}"), floats: 0), source: "ok"))
    }

    /// A zstd frame whose content-size field claims far more than the frame can hold is refused
    /// before anything is allocated.
    func testOversizedZstdContentSizeIsRefused() throws {
        var frame = try Zstd.compress(Data(repeating: 7, count: 1000))
        // Frame header descriptor: with a declared size and single-segment flag the size follows;
        // rewrite it with an 8-byte size of 2⁶⁰ by building a frame header by hand.
        let descriptor: UInt8 = 0b1110_0000  // FCS field 8 bytes, single segment
        var header = Data([0x28, 0xB5, 0x2F, 0xFD, descriptor])
        withUnsafeBytes(of: (UInt64(1) << 60).littleEndian) { header.append(contentsOf: $0) }
        frame = header + Data([0x01, 0x00, 0x00])  // one empty last raw block
        XCTAssertThrowsError(try Zstd.decompress(frame)) { error in
            XCTAssertTrue("\(error)".contains("declares 1152921504606846976 bytes"), "\(error)")
        }
        assertRefused(frame, mentioning: ["declares"])
    }

    func testStaleTemporaryFilesOfDeadWritersAreRemoved() throws {
        let url = folder.appendingPathComponent("checkpoint.tandem")
        // PID 2³¹−2 cannot be running (Linux PIDs stay below 2²²); our own PID's file is in use.
        let stale = folder.appendingPathComponent(".checkpoint.tandem.2147483646.tmp")
        let unrelated = folder.appendingPathComponent(".other.tandem.2147483646.tmp")
        try Data("half a checkpoint".utf8).write(to: stale)
        try Data("x".utf8).write(to: unrelated)
        try sample().write(to: url)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: unrelated.path))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".checkpoint.tandem.") }
        XCTAssertEqual(left, [])
        XCTAssertEqual(try Checkpoint.read(from: url).tensors.count, 2)
    }

    func testWriteIntoAFileSaysWhy() throws {
        let blocker = folder.appendingPathComponent("file")
        try Data().write(to: blocker)
        XCTAssertThrowsError(try sample().write(to: blocker.appendingPathComponent("sub/checkpoint.tandem"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("it is a file, not a folder"), text)
            XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
        }
    }
}
