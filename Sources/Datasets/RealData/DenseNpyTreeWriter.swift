import Foundation
import TandemCore

/// Writes examples as one split of a per-sample `.npy` tree in a `DenseNpyLayout` — the inverse of
/// `DenseNpyDataset`, which reads back exactly what was written: `ROOT/SPLIT/FOLDER/{i}.npy` with
/// the image H×W×3, class labels H×W (−1 = ignore), depth H×W×1 (0 = invalid) and normals H×W×3
/// (all-zero = invalid), channels last as NumPy holds the MTAN preprocessing.
public struct DenseNpyTreeWriter {
    /// The element type of every file written.
    public enum ElementType: String, CaseIterable, Sendable {
        /// 8-byte floats, as NumPy's default (the MTAN NYUv2 images are float64).
        case float64
        /// 4-byte floats: half the size, read back identically (Tandem's arrays are float32).
        case float32
    }

    public let layout: DenseNpyLayout
    /// `ROOT/SPLIT`.
    public let directory: URL
    public let height: Int
    public let width: Int
    public let elementType: ElementType

    /// A writer for `root/split` of H×W samples. Throws when a folder of the split already holds
    /// `.npy` files (a tree is numbered 0…n−1 without gaps, so writing into one would mix two).
    public init(root: URL, split: String, layout: DenseNpyLayout, height: Int, width: Int, elementType: ElementType = .float64) throws {
        guard height >= 1, width >= 1 else { throw DatasetError.invalidArgument("\(layout.name) tree: height and width must be at least 1, got \(height)×\(width)") }
        if let entry = layout.tasks.first(where: { if case .regression = $0.kind { return true } else { return false } }) {
            throw DenseNpyDataset.noPixelLayout(entry.kind, path: root.appendingPathComponent(split).appendingPathComponent(entry.folder).path)
        }
        let directory = root.appendingPathComponent(split)
        for folder in [layout.imageFolder] + layout.tasks.map(\.folder) {
            let path = directory.appendingPathComponent(folder).path
            let existing = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".npy") }
            guard existing.isEmpty else {
                throw DatasetError.unwritable(path: path, reason: "already holds \(existing.count) .npy files; write the tree into an empty folder")
            }
        }
        self.layout = layout
        self.directory = directory
        self.height = height
        self.width = width
        self.elementType = elementType
    }

    /// Writes `example` as sample `index` of the split: its input ([3, H, W]) and the target of each
    /// task of the layout (by task name, in the shapes `DenseNpyDataset` gives them).
    public func write(_ example: Example, at index: Int) throws {
        let (h, w) = (height, width)
        try write(example.input, expected: [3, h, w], as: [h, w, 3], folder: layout.imageFolder, what: "input", index: index)
        for entry in layout.tasks {
            guard let target = example.targets[entry.task] else {
                throw DatasetError.invalidArgument("\(layout.name) tree: sample \(index) has no label for task \(entry.task) (folder \(entry.folder))")
            }
            switch entry.kind {
            case .segmentation, .classification:
                try write(target, expected: [h, w], as: [h, w], folder: entry.folder, what: entry.task, index: index)
            case .depth:
                try write(target, expected: [1, h, w], as: [h, w, 1], folder: entry.folder, what: entry.task, index: index)
            case .normals:
                try write(target, expected: [3, h, w], as: [h, w, 3], folder: entry.folder, what: entry.task, index: index)
            case .regression:
                throw DenseNpyDataset.noPixelLayout(entry.kind, path: directory.appendingPathComponent(entry.folder).path)
            }
        }
    }

    /// Writes a channels-first `array` of shape `expected` channels last, with shape `stored`.
    private func write(_ array: FloatArray, expected: [Int], as stored: [Int], folder: String, what: String, index: Int) throws {
        guard array.shape == expected else {
            throw DatasetError.invalidArgument("\(layout.name) tree: sample \(index)'s \(what) has shape \(array.shape), expected \(expected)")
        }
        let channels = expected.count == 3 ? expected[0] : 1
        let values = channels == 1 ? array.scalars : Self.channelsLast(array.scalars, channels: channels, pixels: height * width)
        let url = directory.appendingPathComponent(folder).appendingPathComponent("\(index).npy")
        switch elementType {
        case .float32: try NpyArray(shape: stored, float32: values).write(to: url)
        case .float64: try NpyArray(shape: stored, float64: values.map(Double.init)).write(to: url)
        }
    }

    /// C×(H·W) → (H·W)×C.
    static func channelsLast(_ values: [Float], channels: Int, pixels: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for p in 0..<pixels {
            for k in 0..<channels { result[p * channels + k] = values[k * pixels + p] }
        }
        return result
    }
}
