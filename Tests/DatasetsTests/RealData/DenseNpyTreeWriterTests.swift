import Foundation
import XCTest
import TandemCore
@testable import TandemDatasets

/// Synthetic scenes written in the NYUv2 `.npy` layout are read back by the `nyuv2` reader exactly,
/// in the files' channels-last shapes; bad writes are errors naming the folder or the sample.
final class DenseNpyTreeWriterTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-tree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testScenesWrittenInTheNYUv2LayoutReadBackExactly() throws {
        var options = SyntheticScenesOptions(count: 1, height: 24, width: 40, seed: 4)
        options.imageNoise = 0.02
        for elementType in DenseNpyTreeWriter.ElementType.allCases {
            let root = folder.appendingPathComponent(elementType.rawValue)
            let export = try SceneTreeExport(trainCount: 5, validationCount: 3, options: options, elementType: elementType)
            var calls: [Int] = []
            try export.write(to: root) { written, total in calls.append(written); XCTAssertEqual(total, 8) }
            XCTAssertEqual(calls.last, 8)
            let train = try DenseNpyDataset(root: root, split: "train", layout: .nyuv2)
            let validation = try DenseNpyDataset(root: root, split: "val", layout: .nyuv2)
            XCTAssertEqual([train.count, validation.count, train.height, train.width], [5, 3, 24, 40])
            XCTAssertEqual(train.tasks.map(\.name), ["segmentation", "depth", "normals"])
            for index in 0..<5 { XCTAssertEqual(try train.example(at: index), try export.scenes.example(at: index), "train \(index)") }
            for index in 0..<3 { XCTAssertEqual(try validation.example(at: index), try export.scenes.example(at: 5 + index), "val \(index)") }

            // The files themselves: channels last, the chosen element type, −1 kept in the labels.
            let expectedType: NpyElementType = elementType == .float64 ? .float64 : .float32
            for (member, shape) in [("image", [24, 40, 3]), ("label", [24, 40]), ("depth", [24, 40, 1]), ("normal", [24, 40, 3])] {
                let header = try NpyReader.readHeader(root.appendingPathComponent("train/\(member)/0.npy"))
                XCTAssertEqual(header.shape, shape, member)
                XCTAssertEqual(header.elementType, expectedType, member)
            }
            let image = try NpyReader.read(root.appendingPathComponent("train/image/2.npy")).floatScalars()
            let input = try export.scenes.example(at: 2).input.scalars
            XCTAssertEqual([image[0], image[1], image[2], image[3]], [input[0], input[24 * 40], input[2 * 24 * 40], input[1]], "H×W×3: pixel 0's RGB, then pixel 1")
        }
        let labels = (0..<5).flatMap { (try? DenseNpyDataset(root: folder.appendingPathComponent("float32"), split: "train", layout: .nyuv2)
            .example(at: $0).targets["segmentation"]!.scalars) ?? [] }
        XCTAssertTrue(labels.allSatisfy { $0 >= -1 && $0 < 13 })
    }

    func testBadWritesAreErrorsNamingTheFolderOrTheSample() throws {
        let root = folder.appendingPathComponent("tree")
        let writer = try DenseNpyTreeWriter(root: root, split: "train", layout: .nyuv2, height: 4, width: 4)
        let good = Example(input: FloatArray(shape: [3, 4, 4], repeating: 0.5), targets: [
            "segmentation": FloatArray(shape: [4, 4], repeating: -1), "depth": FloatArray(shape: [1, 4, 4], repeating: 1),
            "normals": FloatArray(shape: [3, 4, 4], repeating: 0)])
        try writer.write(good, at: 0)
        XCTAssertThrowsError(try DenseNpyTreeWriter(root: root, split: "train", layout: .nyuv2, height: 4, width: 4)) {
            XCTAssertTrue("\($0)".contains("train/image") && "\($0)".contains("already holds 1 .npy"), "\($0)")
        }
        var missing = good
        missing.targets["depth"] = nil
        XCTAssertThrowsError(try writer.write(missing, at: 1)) { XCTAssertTrue("\($0)".contains("sample 1 has no label for task depth"), "\($0)") }
        var wrong = good
        wrong.targets["normals"] = FloatArray(shape: [3, 4, 2], repeating: 0)
        XCTAssertThrowsError(try writer.write(wrong, at: 1)) { XCTAssertTrue("\($0)".contains("normals has shape [3, 4, 2], expected [3, 4, 4]"), "\($0)") }
        XCTAssertThrowsError(try SceneTreeExport(trainCount: 0, validationCount: 2, options: SyntheticScenesOptions()))
    }
}
