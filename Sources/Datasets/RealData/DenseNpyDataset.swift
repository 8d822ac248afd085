import Foundation
import TandemCore

/// Which folders of a preprocessed per-sample `.npy` tree hold the input and each task's labels.
///
/// The tree is `ROOT/{train,val}/FOLDER/{i}.npy` for i = 0, 1, 2, … (no gaps). Arrays are H×W×C
/// ("channels last") as written by NumPy from the MTAN / Auto-λ preprocessing (the task kinds are
/// the per-pixel ones; a `.classification` entry is read per pixel like `.segmentation`, and
/// `.regression` has no per-pixel layout and is refused when the data set is opened):
/// image H×W×3 (finite, within ±10⁴); segmentation H×W (−1 = ignore); depth or disparity H×W×1 or
/// H×W (0 = invalid — any value ≤ 0 or non-finite is read as invalid and becomes 0; values beyond
/// 10⁵ are refused as damaged); normals H×W×3 (components within ±1.001; all-zero = invalid).
public struct DenseNpyLayout: Equatable, Sendable {
    /// One task's folder and kind.
    public struct TaskFolder: Equatable, Sendable {
        public var folder: String
        public var task: String
        public var kind: TaskKind

        public init(folder: String, task: String, kind: TaskKind) {
            self.folder = folder
            self.task = task
            self.kind = kind
        }
    }

    public var name: String
    public var imageFolder: String
    public var tasks: [TaskFolder]

    public init(name: String, imageFolder: String = "image", tasks: [TaskFolder]) {
        self.name = name
        self.imageFolder = imageFolder
        self.tasks = tasks
    }

    /// NYUv2 as preprocessed for MTAN (288×384): `image`, `label` (13 classes), `depth`, `normal`.
    public static let nyuv2 = DenseNpyLayout(name: "nyuv2", tasks: [
        TaskFolder(folder: "label", task: DenseTaskName.segmentation, kind: .segmentation(classes: 13)),
        TaskFolder(folder: "depth", task: DenseTaskName.depth, kind: .depth),
        TaskFolder(folder: "normal", task: DenseTaskName.normals, kind: .normals),
    ])

    /// CityScapes as preprocessed for MTAN (128×256 or 256×512): `image`, `label_7` (or `label_19`,
    /// `label_2`) and `depth` (which holds disparity, inverse depth, 0 = invalid).
    public static func cityscapes(classCount: Int = 7) -> DenseNpyLayout {
        DenseNpyLayout(name: "cityscapes", tasks: [
            TaskFolder(folder: "label_\(classCount)", task: DenseTaskName.segmentation, kind: .segmentation(classes: classCount)),
            TaskFolder(folder: "depth", task: DenseTaskName.depth, kind: .depth),
        ])
    }

    /// CityScapes with the Auto-λ tasks — `seg` (19 classes), `part_seg` (10 part classes,
    /// 0 = background) and `disp` (disparity; Auto-λ's −1 for invalid is read as 0) — for trees where
    /// those labels were saved as `.npy` under folders of the same names (Auto-λ itself keeps them as
    /// PNG/TIFF files, which Tandem does not decode).
    public static let cityscapesAutoLambda = DenseNpyLayout(name: "cityscapes", tasks: [
        TaskFolder(folder: "seg", task: "segmentation", kind: .segmentation(classes: 19)),
        TaskFolder(folder: "part_seg", task: "part_segmentation", kind: .segmentation(classes: 10)),
        TaskFolder(folder: "disp", task: "disparity", kind: .depth),
    ])
}

/// A dense multi-task data set read from a per-sample `.npy` tree (NYUv2, CityScapes).
///
/// Inputs are `[3, H, W]` exactly as stored (MTAN's NYUv2 images are 0…1); labels follow
/// `TaskKind` conventions. Every file is checked against the shapes of sample 0, and a missing,
/// damaged or mis-shaped file throws a `DatasetError` naming it.
public struct DenseNpyDataset: MultiTaskDataset {
    public let layout: DenseNpyLayout
    /// `ROOT/SPLIT`.
    public let directory: URL
    public let count: Int
    public let height: Int
    public let width: Int
    public var name: String { layout.name }

    /// Opens `root/split` (split is `train` or `val` in the MTAN trees).
    public init(root: URL, split: String, layout: DenseNpyLayout) throws {
        if let entry = layout.tasks.first(where: { if case .regression = $0.kind { return true } else { return false } }) {
            throw DatasetError.invalidArgument("\(layout.name): task \(entry.task) (folder \(entry.folder)) is \(entry.kind), which has no "
                                               + "per-pixel .npy layout; expected segmentation, classification, depth or normals")
        }
        let directory = root.appendingPathComponent(split)
        let imageDirectory = directory.appendingPathComponent(layout.imageFolder)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: imageDirectory.path)
        } catch {
            throw DatasetError.unreadable(path: imageDirectory.path, reason: "expected a folder of {i}.npy images")
        }
        let count = names.filter { $0.hasSuffix(".npy") }.count
        guard count > 0 else {
            throw DatasetError.unreadable(path: imageDirectory.path, reason: "no .npy files")
        }
        for folder in [layout.imageFolder] + layout.tasks.map(\.folder) {
            for i in 0..<count {
                let url = directory.appendingPathComponent(folder).appendingPathComponent("\(i).npy")
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw DatasetError.unreadable(path: url.path, reason: "no such file; expected \(count) files 0.npy…\(count - 1).npy in \(folder)")
                }
            }
        }
        let first = directory.appendingPathComponent(layout.imageFolder).appendingPathComponent("0.npy")
        let image = try NpyReader.read(first, expectedShape: [nil, nil, 3])
        guard image.shape[0] >= 1, image.shape[1] >= 1 else {
            throw DatasetError.shapeMismatch(path: first.path, expected: "(height ≥ 1, width ≥ 1, 3)", found: image.shape)
        }
        self.layout = layout
        self.directory = directory
        self.count = count
        self.height = image.shape[0]
        self.width = image.shape[1]
        try checkHeaders()
    }

    /// Checks every file's header — format, element type, shape and that the file holds the data it
    /// announces — without reading the data, so a damaged tree is reported (naming the file) before
    /// any training starts. Values (labels out of range, non-finite numbers) are checked when a
    /// sample is read.
    public func checkHeaders() throws {
        let (h, w) = (height, width)
        for index in 0..<count {
            let image = url(layout.imageFolder, index)
            try Self.require(NpyReader.readHeader(image), matches: [[h, w, 3]], path: image.path)
            for entry in layout.tasks {
                let file = url(entry.folder, index)
                let header = try NpyReader.readHeader(file)
                switch entry.kind {
                case .segmentation, .classification: try Self.require(header, matches: [[h, w]], path: file.path)
                case .depth: try Self.require(header, matches: [[h, w, 1], [h, w]], path: file.path)
                case .normals: try Self.require(header, matches: [[h, w, 3]], path: file.path)
                case .regression: throw Self.noPixelLayout(entry.kind, path: file.path)
                }
            }
        }
    }

    private static func require(_ header: (shape: [Int], elementType: NpyElementType), matches shapes: [[Int]], path: String) throws {
        guard shapes.contains(header.shape) else {
            let expected = shapes.map { "(" + $0.map(String.init).joined(separator: ", ") + ")" }.joined(separator: " or ")
            throw DatasetError.shapeMismatch(path: path, expected: expected, found: header.shape)
        }
        if header.elementType == .bool {
            throw DatasetError.dtypeMismatch(path: path, expected: "a numeric array (float or integer)", found: "bool")
        }
    }

    public var inputShape: [Int] { [3, height, width] }

    public var tasks: [TaskSpec] {
        layout.tasks.map { entry in
            let shape: [Int]?
            switch entry.kind {
            case .segmentation, .classification: shape = [height, width]
            case .depth: shape = [1, height, width]
            case .normals: shape = [3, height, width]
            case .regression: shape = nil  // refused by `init`
            }
            return TaskSpec(name: entry.task, kind: entry.kind, labelShape: shape)
        }
    }

    static func noPixelLayout(_ kind: TaskKind, path: String) -> DatasetError {
        .invalidArgument("\(path): a \(kind) task has no per-pixel .npy layout; expected segmentation, classification, depth or normals")
    }

    private func url(_ folder: String, _ index: Int) -> URL {
        directory.appendingPathComponent(folder).appendingPathComponent("\(index).npy")
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let imageURL = url(layout.imageFolder, index)
        let input = try Self.decodeImage(NpyReader.read(imageURL), height: height, width: width, path: imageURL.path)
        var targets: [String: FloatArray] = [:]
        for entry in layout.tasks {
            let fileURL = url(entry.folder, index)
            targets[entry.task] = try Self.decodeTarget(NpyReader.read(fileURL), kind: entry.kind, height: height, width: width,
                                                        path: fileURL.path, folder: entry.folder)
        }
        return Example(input: input, targets: targets)
    }

    /// An image member (H×W×3) as a `[3, H, W]` input; `path` names the file in errors.
    public static func decodeImage(_ image: NpyArray, height h: Int, width w: Int, path: String) throws -> FloatArray {
        guard image.shape == [h, w, 3] else { throw DatasetError.shapeMismatch(path: path, expected: "(\(h), \(w), 3)", found: image.shape) }
        try requireFloatingOrInteger(image, path: path)
        let pixels = image.floatScalars()
        try require(pixels, path: path, what: "image value", within: imageValueLimit, meaning: "a pixel intensity (0…1 or 0…255)")
        return FloatArray(shape: [3, h, w], scalars: channelsFirst(pixels, h, w, 3))
    }

    /// A label member as the task's target (`TaskKind` conventions); `path` names the file in errors.
    public static func decodeTarget(_ array: NpyArray, kind: TaskKind, height h: Int, width w: Int, path: String,
                                    folder: String = "depth") throws -> FloatArray {
        switch kind {
        case let .segmentation(classCount), let .classification(classCount):
            guard array.shape == [h, w] else { throw DatasetError.shapeMismatch(path: path, expected: "(\(h), \(w))", found: array.shape) }
            let labels = try array.int32Scalars(path: path)
            if let bad = labels.firstIndex(where: { $0 < -1 || $0 >= Int32(classCount) }) {
                throw DatasetError.invalidValue(path: path, reason: "label at pixel \(bad) is \(labels[bad]), expected −1…\(classCount - 1)")
            }
            return FloatArray(shape: [h, w], labels: labels)
        case .depth:
            guard array.shape == [h, w, 1] || array.shape == [h, w] else {
                throw DatasetError.shapeMismatch(path: path, expected: "(\(h), \(w), 1) or (\(h), \(w))", found: array.shape)
            }
            try requireFloatingOrInteger(array, path: path)
            let values = array.floatScalars().map { $0.isFinite && $0 > 0 ? $0 : 0 }
            try require(values, path: path, what: "\(folder) value", within: depthLimit, meaning: "a depth in metres or a disparity")
            return FloatArray(shape: [1, h, w], scalars: values)
        case .normals:
            guard array.shape == [h, w, 3] else { throw DatasetError.shapeMismatch(path: path, expected: "(\(h), \(w), 3)", found: array.shape) }
            try requireFloatingOrInteger(array, path: path)
            let values = array.floatScalars()
            try require(values, path: path, what: "normal component", within: normalComponentLimit,
                        meaning: "a unit-vector component (all three 0 for an invalid pixel)")
            return FloatArray(shape: [3, h, w], scalars: channelsFirst(values, h, w, 3))
        case .regression:
            throw noPixelLayout(kind, path: path)
        }
    }

    /// Largest magnitudes accepted: beyond these a value is damaged data (a flipped exponent bit,
    /// say), and training on it would overflow float32 and stop with an error that no longer names
    /// the file.
    public static let imageValueLimit: Float = 10_000
    public static let normalComponentLimit: Float = 1.001
    public static let depthLimit: Float = 100_000

    /// Throws naming the file and the first element that is NaN, infinite or beyond ±`limit`.
    static func require(_ values: [Float], path: String, what: String, within limit: Float, meaning: String) throws {
        if let bad = values.firstIndex(where: { !($0.magnitude <= limit) }) {
            throw DatasetError.invalidValue(path: path, reason: "\(what) at element \(bad) is \(values[bad]), expected \(meaning): a finite number within ±\(limit)")
        }
    }

    static func requireFloatingOrInteger(_ array: NpyArray, path: String) throws {
        if array.elementType == .bool {
            throw DatasetError.dtypeMismatch(path: path, expected: "a numeric array (float or integer)", found: "bool")
        }
    }

    /// H×W×C → C×H×W.
    static func channelsFirst(_ values: [Float], _ h: Int, _ w: Int, _ c: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for p in 0..<(h * w) {
            for k in 0..<c { result[k * h * w + p] = values[p * c + k] }
        }
        return result
    }
}
