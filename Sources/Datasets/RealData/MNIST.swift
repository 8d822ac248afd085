import Foundation
import TandemCore

/// Handwritten digits (MNIST) or clothing (Fashion-MNIST) from a pair of IDX files.
///
/// Input `[1, rows, cols]` with values in 0…1 (byte / 255); one task, `class` (10 classes).
public struct MNIST: MultiTaskDataset {
    public let name: String
    public let rows: Int
    public let columns: Int
    /// The images, `count × rows × columns` bytes.
    public let pixels: [UInt8]
    /// The labels 0…9.
    public let labels: [UInt8]

    /// Reads an images file (magic 2051, N×rows×cols) and a labels file (magic 2049, N).
    public init(images: URL, labels labelsURL: URL, name: String = "mnist") throws {
        try self.init(imageBytes: [UInt8](try readFileData(images)), imagesPath: images.path,
                      labelBytes: [UInt8](try readFileData(labelsURL)), labelsPath: labelsURL.path, name: name)
    }

    /// Reads the contents of an images file and a labels file; the paths name them in errors.
    public init(imageBytes: [UInt8], imagesPath: String, labelBytes: [UInt8], labelsPath: String, name: String = "mnist") throws {
        let (imageShape, pixels) = try IDXFile.parse(imageBytes, path: imagesPath)
        guard imageShape.count == 3 else {
            throw DatasetError.shapeMismatch(path: imagesPath, expected: "(count, rows, columns)", found: imageShape)
        }
        guard imageShape[1] >= 1, imageShape[2] >= 1 else {
            throw DatasetError.shapeMismatch(path: imagesPath, expected: "(count, rows ≥ 1, columns ≥ 1)", found: imageShape)
        }
        let (labelShape, labels) = try IDXFile.parse(labelBytes, path: labelsPath)
        guard labelShape.count == 1 else {
            throw DatasetError.shapeMismatch(path: labelsPath, expected: "(count)", found: labelShape)
        }
        guard labelShape[0] == imageShape[0] else {
            throw DatasetError.shapeMismatch(path: labelsPath, expected: "(\(imageShape[0])) labels, one per image in \((imagesPath as NSString).lastPathComponent)",
                                             found: labelShape)
        }
        if let bad = labels.firstIndex(where: { $0 > 9 }) {
            throw DatasetError.invalidValue(path: labelsPath, reason: "label \(bad) is \(labels[bad]), expected 0…9")
        }
        self.name = name
        self.rows = imageShape[1]
        self.columns = imageShape[2]
        self.pixels = pixels
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var inputShape: [Int] { [1, rows, columns] }
    public var tasks: [TaskSpec] { [TaskSpec(name: "class", kind: .classification(classes: 10), labelShape: [])] }

    /// Image `index` as bytes (rows × columns).
    public func image(at index: Int) -> ArraySlice<UInt8> {
        pixels[(index * rows * columns)..<((index + 1) * rows * columns)]
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        return Example(input: FloatArray(shape: inputShape, scalars: image(at: index).map { Float($0) / 255 }),
                       targets: ["class": FloatArray(shape: [], scalars: [Float(labels[index])])])
    }
}
