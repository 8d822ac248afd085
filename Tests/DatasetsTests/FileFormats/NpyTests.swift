import Foundation
import XCTest
@testable import TandemDatasets

/// Temporary folder removed at the end of each test.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-datasets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func bytes(hex: String) -> Data {
        var data = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            data.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    /// Asserts that `body` throws a `DatasetError` whose description mentions every fragment.
    func assertDatasetError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a DatasetError mentioning \(fragments)", file: file, line: line)
        } catch let error as DatasetError {
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "'\(error.description)' lacks '\(fragment)'", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }
}

final class NpyTests: TemporaryDirectoryTestCase {
    // Written by NumPy 2.4 (`np.lib.format.write_array`).
    let bigEndianFortranFloat64 = "934e554d5059010076007b276465736372273a20273e6638272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3ff80000000000004010000000000000c0000000000000004016000000000000400a000000000000c01b000000000000"
    let int64Version2 = "934e554d50590200740000007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200afeffffffffffffffffffffffffffffff0000000000000000010000000000000002000000000000000300000000000000"
    let bool2x2 = "934e554d5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000001"
    let bigEndianFortranInt32 = "934e554d5059010076007b276465736372273a20273e6934272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000010000000400000002000000050000000300000006"
    let float32Version3 = "934e554d50590300740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000003f0000803f00000040"

    func testReadsNumPyFilesOfEveryVersionOrderAndEndianness() throws {
        let f8 = try NpyReader.parse(bytes(hex: bigEndianFortranFloat64), path: "f8.npy")
        XCTAssertEqual(f8.shape, [2, 3])
        XCTAssertEqual(f8.elementType, .float64)
        XCTAssertEqual(f8.doubleScalars(), [1.5, -2.0, 3.25, 4.0, 5.5, -6.75])
        let i8 = try NpyReader.parse(bytes(hex: int64Version2), path: "i8.npy")
        XCTAssertEqual(i8.shape, [3, 2])
        XCTAssertEqual(try i8.int64Scalars(), [-2, -1, 0, 1, 2, 3])
        XCTAssertEqual(try i8.int32Scalars(), [-2, -1, 0, 1, 2, 3])
        let b1 = try NpyReader.parse(bytes(hex: bool2x2), path: "b.npy")
        XCTAssertEqual(b1.elementType, .bool)
        XCTAssertEqual(b1.floatScalars(), [1, 0, 0, 1])
        let i4 = try NpyReader.parse(bytes(hex: bigEndianFortranInt32), path: "i4.npy")
        XCTAssertEqual(try i4.int32Scalars(), [1, 2, 3, 4, 5, 6])
        let f4 = try NpyReader.parse(bytes(hex: float32Version3), path: "f4.npy")
        XCTAssertEqual(f4.shape, [3])
        XCTAssertEqual(f4.floatScalars(), [0.5, 1, 2])
        XCTAssertEqual(f4.tensor().shape, [3])
    }

    func testWriterRoundTripsAndMatchesNumPyLayout() throws {
        let arrays = [
            NpyArray(shape: [2, 3], float32: [0, 1.5, -2, 3, 4, 5]),
            NpyArray(shape: [4], int64: [-1, 0, 7, Int64.max]),
            NpyArray(shape: [2, 2, 1], uint8: [0, 1, 254, 255]),
            NpyArray(shape: [], float64: [3.25]),
            NpyArray(shape: [3], int32: [-5, 0, 5]),
            NpyArray(shape: [0, 3], float32: []),
            NpyArray(shape: [2], bool: [true, false]),
        ]
        for (k, array) in arrays.enumerated() {
            let url = directory.appendingPathComponent("a\(k).npy")
            try array.write(to: url)
            XCTAssertEqual(try NpyReader.read(url), array)
            let data = try Data(contentsOf: url)
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, "data must start on a 64-byte boundary")
        }
        // Our float64 Fortran reference, re-encoded, equals NumPy's C-order float64 bytes of the same array.
        let reference = try NpyReader.parse(bytes(hex: bigEndianFortranFloat64), path: "f8.npy")
        XCTAssertEqual(try NpyReader.parse(NpyWriter.encode(reference), path: "again.npy"), reference)
        let encoded = NpyWriter.encode(arrays[0])
        let header = String(decoding: encoded.prefix(10 + (Int(encoded[8]) | Int(encoded[9]) << 8)).dropFirst(10), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        XCTAssertTrue(header.hasSuffix(" \n"))
        // Byte-for-byte what NumPy 2.4's `np.save` writes for the same arrays.
        XCTAssertEqual(NpyWriter.encode(NpyArray(shape: [2, 3], float32: [0, 1.5, -2, 3, 4, 5])), bytes(hex: "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000c03f000000c000004040000080400000a040"))
        XCTAssertEqual(NpyWriter.encode(NpyArray(shape: [3], int64: [-1, 0, 7])), bytes(hex: "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200affffffffffffffff00000000000000000700000000000000"))
        XCTAssertEqual(NpyWriter.encode(NpyArray(shape: [], float64: [3.25])), bytes(hex: "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000a40"))
        // No temporary files are left behind by the atomic writes.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }, [])
    }

    /// `data` with the first occurrence of the ASCII text `old` replaced by `new` (same length).
    func replacing(_ old: String, with new: String, in data: Data) -> Data {
        let bytes = [UInt8](data), pattern = Array(old.utf8)
        var result = bytes
        if let start = (0...(bytes.count - pattern.count)).first(where: { Array(bytes[$0..<($0 + pattern.count)]) == pattern }) {
            result.replaceSubrange(start..<(start + pattern.count), with: Array(new.utf8))
        }
        return Data(result)
    }

    func testBadFilesGiveClearErrorsNamingTheFile() throws {
        let good = bytes(hex: float32Version3)
        let url = directory.appendingPathComponent("broken.npy")
        func write(_ data: Data) throws { try data.write(to: url) }

        try write(Data("not numpy at all".utf8))
        assertDatasetError(["broken.npy", "magic"]) { _ = try NpyReader.read(url) }

        var badVersion = good
        badVersion[6] = 9
        try write(badVersion)
        assertDatasetError(["broken.npy", "version"]) { _ = try NpyReader.read(url) }

        try write(good.prefix(good.count - 3))
        assertDatasetError(["broken.npy", "truncated", "12 bytes"]) { _ = try NpyReader.read(url) }

        try write(good.prefix(20))
        assertDatasetError(["broken.npy", "truncated"]) { _ = try NpyReader.read(url) }

        try write(replacing("<f4", with: "<c8", in: good))
        assertDatasetError(["broken.npy", "c8"]) { _ = try NpyReader.read(url) }

        try write(replacing("'shape'", with: "'shope'", in: good))
        assertDatasetError(["broken.npy", "shape"]) { _ = try NpyReader.read(url) }

        try write(replacing("(3,)", with: "(x3)", in: good))
        assertDatasetError(["broken.npy", "bad header"]) { _ = try NpyReader.read(url) }

        try write(good)
        assertDatasetError(["broken.npy", "shape mismatch", "(any, 3)"]) { _ = try NpyReader.read(url, expectedShape: [nil, 3]) }
        XCTAssertEqual(try NpyReader.read(url, expectedShape: [nil]).shape, [3])

        assertDatasetError(["missing.npy", "no such file"]) { _ = try NpyReader.read(self.directory.appendingPathComponent("missing.npy")) }

        let fractional = NpyArray(shape: [2], float32: [1, 1.5])
        assertDatasetError(["labels.npy", "1.5"]) { _ = try fractional.int32Scalars(path: "labels.npy") }
        assertDatasetError(["big.npy", "Int32"]) { _ = try NpyArray(shape: [1], int64: [1 << 40]).int32Scalars(path: "big.npy") }
    }
}
