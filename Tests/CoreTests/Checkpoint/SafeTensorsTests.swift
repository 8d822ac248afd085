import XCTest
import Foundation
@testable import TandemCore

/// safetensors files as the Python `safetensors` package reads and writes them
/// (`Tests/Fixtures/safetensors/generate.py` wrote the fixtures), and crafted bad files refused
/// with a message naming the file, the tensor and the field.
final class SafeTensorsTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/safetensors").standardized

    /// A fixture's JSON: metadata and, per tensor, dtype, shape and float32 bit patterns or integers.
    func expectation(_ name: String) throws -> (metadata: [String: String], tensors: [String: [String: Any]]) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(name)))
        let root = try XCTUnwrap(object as? [String: Any])
        return (try XCTUnwrap(root["metadata"] as? [String: String]), try XCTUnwrap(root["tensors"] as? [String: [String: Any]]))
    }

    func testReadsEveryTypeThePythonPackageWrites() throws {
        let file = try SafeTensors.read(from: fixtures.appendingPathComponent("mixed.safetensors"))
        let expected = try expectation("mixed.json")
        XCTAssertEqual(file.metadata, expected.metadata)
        XCTAssertEqual(Set(file.entries.keys), Set(expected.tensors.keys))
        for (name, fields) in expected.tensors {
            let entry = try XCTUnwrap(file.entries[name], name)
            XCTAssertEqual(entry.dataType.rawValue, fields["dtype"] as? String, name)
            XCTAssertEqual(entry.shape, fields["shape"] as? [Int], name)
            if let bits = fields["float32_bits"] as? [Int] {
                let tensor = try file.floats(name)
                XCTAssertEqual(tensor.shape, entry.shape, name)
                XCTAssertEqual(tensor.scalars.map { Int($0.bitPattern) }, bits, name)
            } else {
                XCTAssertEqual(try file.integers(name), try XCTUnwrap(fields["integers"] as? [Int]).map(Int64.init), name)
            }
        }
    }

    func testWritesTheBytesThePythonPackageWrites() throws {
        let expected = try expectation("written.json")
        var file = SafeTensors(metadata: expected.metadata)
        for (name, fields) in expected.tensors {
            let shape = try XCTUnwrap(fields["shape"] as? [Int])
            if let bits = fields["float32_bits"] as? [Int] {
                file.entries[name] = SafeTensors.Entry(Tensor(shape: shape, scalars: bits.map { Float(bitPattern: UInt32($0)) }))
            } else {
                file.entries[name] = SafeTensors.Entry(integers: try XCTUnwrap(fields["integers"] as? [Int]).map(Int64.init), shape: shape)
            }
        }
        let python = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("written.safetensors")))
        XCTAssertEqual(try file.encoded(), python)

        // And back: a write and a read give the same tensors.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        let read = try SafeTensors.read(from: url)
        XCTAssertEqual(read.metadata, file.metadata)
        XCTAssertEqual(try read.floats("encoder.0.weight").scalars, try file.floats("encoder.0.weight").scalars)
        XCTAssertEqual(try read.integers("encoder.1.num_batches_tracked"), [12])
    }

    /// A file with `header` (padded to 8 bytes) and `data` bytes after it.
    func file(_ header: String, data: Int) -> [UInt8] {
        var text = Array(header.utf8)
        text += [UInt8](repeating: 32, count: (8 - text.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + text + [UInt8](repeating: 0, count: data)
    }

    func assertRefused(_ bytes: [UInt8], _ phrase: String, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(decoding: bytes, source: "w.safetensors"), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("w.safetensors: "), message, line: line)
            XCTAssertTrue(message.contains(phrase), "\(message) does not say '\(phrase)'", line: line)
        }
    }

    func testBadFilesAreRefusedNamingTheTensorAndTheField() {
        let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertNoThrow(try SafeTensors(decoding: file(good, data: 8), source: "w.safetensors"))
        assertRefused([1, 2, 3], "8-byte header length")
        assertRefused(withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init) + [UInt8](repeating: 0, count: 8), "over the 100000000-byte limit")
        assertRefused(Array(file(good, data: 8).prefix(20)), "truncated")
        assertRefused(file("[1, 2]", data: 0), "does not start with '{'")
        assertRefused(file("{\"a\": ", data: 0), "not valid JSON")
        assertRefused(file(#"{"a":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}}"#, data: 8), "tensor 'a': dtype 'F8'")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), "tensor 'a': F32 of shape [3] needs 12 bytes")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8), "tensor 'a': shape holds -2")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4), "reach past the 4 bytes")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8), "begin ≤ end")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[2]}}"#, data: 8), "data_offsets missing")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"strides":[1]}}"#, data: 8), "unknown field 'strides'")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), "bytes 0..<4 of the data belong to no tensor")
        assertRefused(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), "overlaps")
        assertRefused(file(good, data: 12), "cover 8 bytes of data, the file holds 12")
        assertRefused(file(#"{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 8), "__metadata__ must map strings to strings")
    }

    func testAskingForTheWrongKindOfTensorNamesIt() throws {
        var file = SafeTensors(source: "w.safetensors")
        file.entries["steps"] = SafeTensors.Entry(integers: [3], shape: [])
        file.entries["weight"] = SafeTensors.Entry(Tensor(shape: [1], scalars: [2]))
        XCTAssertThrowsError(try file.floats("steps")) { XCTAssertTrue("\($0)".contains("tensor 'steps' holds I64 values; expected a float type"), "\($0)") }
        XCTAssertThrowsError(try file.integers("weight")) { XCTAssertTrue("\($0)".contains("tensor 'weight' holds F32 values"), "\($0)") }
        XCTAssertThrowsError(try file.floats("bias")) { XCTAssertTrue("\($0)".contains("no tensor 'bias' (the file has 2: steps, weight)"), "\($0)") }
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(SafeTensors.float(half: 0x3C00), 1)
        XCTAssertEqual(SafeTensors.float(half: 0xC000), -2)
        XCTAssertEqual(SafeTensors.float(half: 0x0001), 0x1p-24)       // smallest subnormal
        XCTAssertEqual(SafeTensors.float(half: 0x7BFF), 65504)         // largest finite
        XCTAssertEqual(SafeTensors.float(half: 0x7C00), .infinity)
        XCTAssertTrue(SafeTensors.float(half: 0x7E00).isNaN)
        XCTAssertEqual(SafeTensors.float(half: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
    }
}
