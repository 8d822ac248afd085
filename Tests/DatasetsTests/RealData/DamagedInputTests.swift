import Foundation
import XCTest
@testable import TandemDatasets

/// Headers whose sizes overflow, empty images and non-finite values: each is a `DatasetError`
/// naming the file and the field, never a trap.
final class DamagedInputTests: TemporaryDirectoryTestCase {
    /// A version-1 `.npy` file with the given header dictionary and payload.
    func npy(header dictionary: String, payload: [UInt8] = []) -> Data {
        var header = Array(dictionary.utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)])
        data.append(contentsOf: header)
        data.append(contentsOf: payload)
        return data
    }

    func testNpyShapesWhoseProductOverflowsAreRefused() throws {
        for shape in ["(9223372036854775807, 2)", "(4294967296, 4294967296)", "(3037000500, 3037000500, 2)", "(281474976710657,)"] {
            let data = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }", payload: [0, 0, 0, 0])
            assertDatasetError(["big.npy", "shape", "overflows"]) { _ = try NpyReader.parse(data, path: "big.npy") }
            let url = directory.appendingPathComponent("big.npy")
            try data.write(to: url)
            assertDatasetError(["big.npy", "overflows"]) { _ = try NpyReader.readHeader(url) }
        }
        // float64 × a count just below the element limit still overflows the byte limit.
        let wide = npy(header: "{'descr': '<f8', 'fortran_order': True, 'shape': (70368744177664, 4), }")
        assertDatasetError(["w.npy", "overflows"]) { _ = try NpyReader.parse(wide, path: "w.npy") }
        assertDatasetError(["d.npy", "dimension"]) {
            _ = try NpyReader.parse(npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"), path: "d.npy")
        }
    }

    func testNpyHeaderReaderMatchesTheFullReader() throws {
        let url = directory.appendingPathComponent("a.npy")
        try NpyArray(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6]).write(to: url)
        let header = try NpyReader.readHeader(url)
        XCTAssertEqual(header.shape, [2, 3])
        XCTAssertEqual(header.elementType, .float32)
        let full = try Data(contentsOf: url)
        try full.prefix(full.count - 1).write(to: url)
        assertDatasetError(["a.npy", "truncated"]) { _ = try NpyReader.readHeader(url) }
        try Data().write(to: url)
        assertDatasetError(["a.npy", "magic"]) { _ = try NpyReader.readHeader(url) }
        assertDatasetError(["nothing.npy", "no such file"]) { _ = try NpyReader.readHeader(self.directory.appendingPathComponent("nothing.npy")) }
    }

    func testIDXDimensionsThatOverflowAreRefused() throws {
        // Rank 4, each dimension 0xFFFFFFFF: the product overflows Int.
        var header: [UInt8] = [0, 0, 0x08, 4]
        for _ in 0..<4 { header += [0xFF, 0xFF, 0xFF, 0xFF] }
        let url = directory.appendingPathComponent("huge-idx3-ubyte")
        try Data(header + [1, 2, 3]).write(to: url)
        assertDatasetError(["huge-idx3-ubyte", "overflows"]) { _ = try IDXFile.read(url) }
        // Rank 255 of 2s: 2²⁵⁵.
        try Data([0, 0, 0x08, 255] + [UInt8](repeating: 0, count: 255 * 4).enumerated().map { $0.offset % 4 == 3 ? 2 : 0 }).write(to: url)
        assertDatasetError(["huge-idx3-ubyte", "overflows"]) { _ = try IDXFile.read(url) }
        try Data([0, 0, 0x08, 0]).write(to: url)
        assertDatasetError(["huge-idx3-ubyte", "at least one dimension"]) { _ = try IDXFile.read(url) }
        // Zero-width images are not images.
        let images = directory.appendingPathComponent("images"), labels = directory.appendingPathComponent("labels")
        try IDXFile.encode(shape: [2, 28, 0], bytes: []).write(to: images)
        try IDXFile.encode(shape: [2], bytes: [1, 2]).write(to: labels)
        assertDatasetError(["images", "rows ≥ 1"]) { _ = try MNIST(images: images, labels: labels) }
    }

    /// An MTAN-style tree of `count` samples, h×w, in `split`.
    func writeTree(count: Int, h: Int = 4, w: Int = 5, split: String = "train") throws {
        let base = directory.appendingPathComponent(split)
        for i in 0..<count {
            try NpyArray(shape: [h, w, 3], float32: [Float](repeating: 0.5, count: h * w * 3)).write(to: base.appendingPathComponent("image/\(i).npy"))
            try NpyArray(shape: [h, w], int64: [Int64](repeating: 1, count: h * w)).write(to: base.appendingPathComponent("label/\(i).npy"))
            try NpyArray(shape: [h, w, 1], float32: [Float](repeating: 2, count: h * w)).write(to: base.appendingPathComponent("depth/\(i).npy"))
            var normal = [Float](repeating: 0, count: h * w * 3)
            for p in 0..<(h * w) { normal[p * 3 + 2] = 1 }
            try NpyArray(shape: [h, w, 3], float32: normal).write(to: base.appendingPathComponent("normal/\(i).npy"))
        }
    }

    func testEmptyImagesAreRefusedWhenTheTreeIsOpened() throws {
        try writeTree(count: 2)
        let first = directory.appendingPathComponent("train/image/0.npy")
        try NpyArray(shape: [0, 0, 3], float32: []).write(to: first)
        assertDatasetError(["train/image/0.npy", "height ≥ 1"]) { _ = try DenseNpyDataset(root: self.directory, split: "train", layout: .nyuv2) }
    }

    /// Every member's header is checked when the tree is opened, naming the damaged file.
    func testDamagedMembersAreFoundWhenTheTreeIsOpened() throws {
        try writeTree(count: 3)
        let base = directory.appendingPathComponent("train")
        let cases: [(String, Data)] = [
            ("depth/2.npy", Data([0x93, 0x4E, 0x55])),
            ("normal/1.npy", NpyWriter.encode(NpyArray(shape: [4, 5, 2], float32: [Float](repeating: 0, count: 40)))),
            ("label/2.npy", NpyWriter.encode(NpyArray(shape: [4, 5], bool: [Bool](repeating: true, count: 20)))),
            ("image/1.npy", NpyWriter.encode(NpyArray(shape: [4, 5, 3], float32: [Float](repeating: 0, count: 60))).dropLast(7)),
        ]
        for (member, bytes) in cases {
            let url = base.appendingPathComponent(member)
            let original = try Data(contentsOf: url)
            try bytes.write(to: url)
            assertDatasetError(["train/\(member)"]) { _ = try DenseNpyDataset(root: self.directory, split: "train", layout: .nyuv2) }
            try original.write(to: url)
        }
        XCTAssertNoThrow(try DenseNpyDataset(root: directory, split: "train", layout: .nyuv2))
    }

    func testNonFiniteImagesAndNormalsAreRefusedAndDepthBecomesInvalid() throws {
        try writeTree(count: 2)
        let base = directory.appendingPathComponent("train")
        let dataset = try DenseNpyDataset(root: directory, split: "train", layout: .nyuv2)
        var image = [Float](repeating: 0.5, count: 60)
        image[7] = .nan
        try NpyArray(shape: [4, 5, 3], float32: image).write(to: base.appendingPathComponent("image/1.npy"))
        assertDatasetError(["image/1.npy", "element 7", "finite"]) { _ = try dataset.example(at: 1) }
        try NpyArray(shape: [4, 5, 3], float32: [Float](repeating: 0.5, count: 60)).write(to: base.appendingPathComponent("image/1.npy"))
        var normal = [Float](repeating: 0, count: 60)
        normal[2] = .infinity
        try NpyArray(shape: [4, 5, 3], float32: normal).write(to: base.appendingPathComponent("normal/1.npy"))
        assertDatasetError(["normal/1.npy", "element 2"]) { _ = try dataset.example(at: 1) }
        var depth = [Double](repeating: 2, count: 20)
        depth[3] = .nan
        depth[4] = 1e300  // beyond Float: infinite after conversion, so invalid
        try NpyArray(shape: [4, 5], float64: depth).write(to: base.appendingPathComponent("depth/0.npy"))
        let example = try dataset.example(at: 0)
        XCTAssertEqual(example.targets["depth"]!.scalars[3], 0)
        XCTAssertEqual(example.targets["depth"]!.scalars[4], 0)
        XCTAssertEqual(example.targets["depth"]!.scalars[5], 2)
    }
}
