import Foundation
import XCTest
@testable import TandemDatasets

final class DenseNpyDatasetTests: TemporaryDirectoryTestCase {
    let (h, w) = (4, 5)

    /// Writes an MTAN-style NYUv2 tree with `count` samples in `split`.
    func writeNYUv2(count: Int, split: String = "val") throws {
        for i in 0..<count {
            let base = directory.appendingPathComponent(split)
            let image = (0..<(h * w * 3)).map { Float($0 + i) / 100 }
            try NpyArray(shape: [h, w, 3], float32: image).write(to: base.appendingPathComponent("image/\(i).npy"))
            // MTAN stores labels as floats with −1 = ignore.
            let labels = (0..<(h * w)).map { p in p == 0 ? -1.0 : Double((p + i) % 13) }
            try NpyArray(shape: [h, w], float64: labels).write(to: base.appendingPathComponent("label/\(i).npy"))
            let depth = (0..<(h * w)).map { p in p == 1 ? Float(0) : Float(p) / 10 + 1 }
            try NpyArray(shape: [h, w, 1], float32: depth).write(to: base.appendingPathComponent("depth/\(i).npy"))
            var normal = [Float](repeating: 0, count: h * w * 3)
            for p in 1..<(h * w) { normal[p * 3 + 2] = 1 }  // pixel 0 invalid, others (0, 0, 1)
            normal[3 * 3] = 0.6; normal[3 * 3 + 2] = 0.8   // pixel 3 = (0.6, 0, 0.8)
            try NpyArray(shape: [h, w, 3], float32: normal).write(to: base.appendingPathComponent("normal/\(i).npy"))
        }
    }

    func testReadsTheMTANLayoutIntoChannelsFirstArrays() throws {
        try writeNYUv2(count: 3)
        let dataset = try DenseNpyDataset(root: directory, split: "val", layout: .nyuv2)
        XCTAssertEqual(dataset.count, 3)
        XCTAssertEqual(dataset.inputShape, [3, h, w])
        XCTAssertEqual(dataset.tasks.map(\.labelShape), [[h, w], [1, h, w], [3, h, w]])
        let example = try dataset.example(at: 2)
        // Input channel c, pixel p comes from image[p * 3 + c].
        XCTAssertEqual(example.input.scalars[0 * h * w + 7], Float(7 * 3 + 0 + 2) / 100)
        XCTAssertEqual(example.input.scalars[2 * h * w + 7], Float(7 * 3 + 2 + 2) / 100)
        let labels = example.targets["segmentation"]!
        XCTAssertEqual(labels.scalars[0], -1)
        XCTAssertEqual(labels.scalars[5], Float((5 + 2) % 13))
        let depth = example.targets["depth"]!
        XCTAssertEqual(depth.shape, [1, h, w])
        XCTAssertEqual(depth.scalars[1], 0)
        XCTAssertEqual(depth.scalars[2], 1.2, accuracy: 1e-6)
        let normals = example.targets["normals"]!
        XCTAssertEqual([normals.scalars[3], normals.scalars[h * w + 3], normals.scalars[2 * h * w + 3]], [0.6, 0, 0.8])
        XCTAssertEqual([normals.scalars[0], normals.scalars[h * w], normals.scalars[2 * h * w]], [0, 0, 0])
    }

    func testMissingAndBadFilesAreNamed() throws {
        try writeNYUv2(count: 3, split: "train")
        let base = directory.appendingPathComponent("train")
        try FileManager.default.removeItem(at: base.appendingPathComponent("normal/1.npy"))
        assertDatasetError(["normal/1.npy", "no such file"]) { _ = try DenseNpyDataset(root: self.directory, split: "train", layout: .nyuv2) }
        assertDatasetError(["test/image"]) { _ = try DenseNpyDataset(root: self.directory, split: "test", layout: .nyuv2) }

        try NpyArray(shape: [h, w, 3], float32: [Float](repeating: 0, count: h * w * 3)).write(to: base.appendingPathComponent("normal/1.npy"))
        let dataset = try DenseNpyDataset(root: directory, split: "train", layout: .nyuv2)
        try NpyArray(shape: [h, w], int64: [Int64](repeating: 13, count: h * w)).write(to: base.appendingPathComponent("label/1.npy"))
        assertDatasetError(["label/1.npy", "13", "−1…12"]) { _ = try dataset.example(at: 1) }
        try NpyArray(shape: [h + 1, w], int64: [Int64](repeating: 0, count: (h + 1) * w)).write(to: base.appendingPathComponent("label/1.npy"))
        assertDatasetError(["label/1.npy", "shape mismatch"]) { _ = try dataset.example(at: 1) }
        try Data([1, 2, 3]).write(to: base.appendingPathComponent("depth/2.npy"))
        assertDatasetError(["depth/2.npy"]) { _ = try dataset.example(at: 2) }
        XCTAssertNoThrow(try dataset.example(at: 0))
    }

    func testCityScapesLayouts() throws {
        let base = directory.appendingPathComponent("val")
        try NpyArray(shape: [h, w, 3], float32: [Float](repeating: 0.5, count: h * w * 3)).write(to: base.appendingPathComponent("image/0.npy"))
        try NpyArray(shape: [h, w], float32: (0..<(h * w)).map { Float($0 % 8) - 1 }).write(to: base.appendingPathComponent("label_7/0.npy"))
        // Disparity with 0 = invalid.
        try NpyArray(shape: [h, w, 1], float32: (0..<(h * w)).map { Float($0) / 100 }).write(to: base.appendingPathComponent("depth/0.npy"))
        let cityscapes = try DenseNpyDataset(root: directory, split: "val", layout: .cityscapes(classCount: 7))
        XCTAssertEqual(cityscapes.taskNames, ["segmentation", "depth"])
        let example = try cityscapes.example(at: 0)
        XCTAssertEqual(example.targets["segmentation"]!.scalars[0...8], [-1, 0, 1, 2, 3, 4, 5, 6, -1])
        XCTAssertEqual(example.targets["depth"]!.scalars[0], 0)

        // Auto-λ task folders, disparity with −1 for invalid (read as 0).
        try NpyArray(shape: [h, w], int64: (0..<(h * w)).map { Int64($0 % 19) }).write(to: base.appendingPathComponent("seg/0.npy"))
        try NpyArray(shape: [h, w], uint8: (0..<(h * w)).map { UInt8($0 % 10) }).write(to: base.appendingPathComponent("part_seg/0.npy"))
        try NpyArray(shape: [h, w], float32: (0..<(h * w)).map { $0 == 0 ? -1 : Float($0) }).write(to: base.appendingPathComponent("disp/0.npy"))
        let autoLambda = try DenseNpyDataset(root: directory, split: "val", layout: .cityscapesAutoLambda)
        let sample = try autoLambda.example(at: 0)
        XCTAssertEqual(autoLambda.taskNames, ["segmentation", "part_segmentation", "disparity"])
        XCTAssertEqual(sample.targets["disparity"]!.shape, [1, h, w])
        XCTAssertEqual(sample.targets["disparity"]!.scalars[0...2], [0, 1, 2])
        XCTAssertEqual(sample.targets["part_segmentation"]!.scalars[12], 2)
    }
}
