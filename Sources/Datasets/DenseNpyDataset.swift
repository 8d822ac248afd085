import Foundation

/// Which folders of a preprocessed per-sample `.npy` tree hold the input and each task's labels.
///
/// The tree is `ROOT/{train,val}/FOLDER/{i}.npy` for i = 0, 1, 2, … (no gaps). Arrays are H×W×C
/// ("channels last") as written by NumPy from the MTAN / Auto-λ preprocessing:
/// image H×W×3; segmentation H×W (−1 = ignore); depth or disparity H×W×1 or H×W (0 = invalid —
/// any value ≤ 0 or non-finite is read as invalid and becomes 0); normals H×W×3 (all-zero = invalid).
public struct DenseNpyLayout: Equatable, Sendable {
    /// One task's folder and kind.
    public struct TaskFolder: Equatable, Sendable {
        public var folder: String
        public var task: String
        public var kind: TargetKind

        public init(folder: String, task: String, kind: TargetKind) {
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
        TaskFolder(folder: "label", task: DenseTaskName.segmentation, kind: .segmentation(classCount: 13)),
        TaskFolder(folder: "depth", task: DenseTaskName.depth, kind: .depth),
        TaskFolder(folder: "normal", task: DenseTaskName.normals, kind: .normals),
    ])

    /// CityScapes as preprocessed for MTAN (128×256 or 256×512): `image`, `label_7` (or `label_19`,
    /// `label_2`) and `depth` (which holds disparity, inverse depth, 0 = invalid).
    public static func cityscapes(classCount: Int = 7) -> DenseNpyLayout {
        DenseNpyLayout(name: "cityscapes", tasks: [
            TaskFolder(folder: "label_\(classCount)", task: DenseTaskName.segmentation, kind: .segmentation(classCount: classCount)),
            TaskFolder(folder: "depth", task: DenseTaskName.depth, kind: .depth),
        ])
    }

    /// CityScapes with the Auto-λ tasks — `seg` (19 classes), `part_seg` (10 part classes,
    /// 0 = background) and `disp` (disparity; Auto-λ's −1 for invalid is read as 0) — for trees where
    /// those labels were saved as `.npy` under folders of the same names (Auto-λ itself keeps them as
    /// PNG/TIFF files, which Tandem does not decode).
    public static let cityscapesAutoLambda = DenseNpyLayout(name: "cityscapes", tasks: [
        TaskFolder(folder: "seg", task: "segmentation", kind: .segmentation(classCount: 19)),
        TaskFolder(folder: "part_seg", task: "part_segmentation", kind: .segmentation(classCount: 10)),
        TaskFolder(folder: "disp", task: "disparity", kind: .depth),
    ])
}

/// A dense multi-task data set read from a per-sample `.npy` tree (NYUv2, CityScapes).
///
/// Inputs are `[3, H, W]` exactly as stored (MTAN's NYUv2 images are 0…1); labels follow
/// `TaskTarget` conventions. Every file is checked against the shapes of sample 0, and a missing,
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
        self.layout = layout
        self.directory = directory
        self.count = count
        self.height = image.shape[0]
        self.width = image.shape[1]
    }

    public var inputShape: [Int] { [3, height, width] }

    public var tasks: [TaskTarget] {
        layout.tasks.map { entry in
            switch entry.kind {
            case .segmentation, .classification: return TaskTarget(name: entry.task, kind: entry.kind, shape: [height, width])
            case .depth: return TaskTarget(name: entry.task, kind: entry.kind, shape: [1, height, width])
            case .normals: return TaskTarget(name: entry.task, kind: entry.kind, shape: [3, height, width])
            }
        }
    }

    private func url(_ folder: String, _ index: Int) -> URL {
        directory.appendingPathComponent(folder).appendingPathComponent("\(index).npy")
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let (h, w) = (height, width)
        let imageURL = url(layout.imageFolder, index)
        let image = try NpyReader.read(imageURL, expectedShape: [h, w, 3])
        try Self.requireFloatingOrInteger(image, path: imageURL.path)
        var targets: [String: FloatArray] = [:]
        for entry in layout.tasks {
            let fileURL = url(entry.folder, index)
            switch entry.kind {
            case let .segmentation(classCount), let .classification(classCount):
                let array = try NpyReader.read(fileURL, expectedShape: [h, w])
                let labels = try array.int32Scalars(path: fileURL.path)
                if let bad = labels.firstIndex(where: { $0 < -1 || $0 >= Int32(classCount) }) {
                    throw DatasetError.invalidValue(path: fileURL.path, reason: "label at pixel \(bad) is \(labels[bad]), expected −1…\(classCount - 1)")
                }
                targets[entry.task] = FloatArray(shape: [h, w], labels: labels)
            case .depth:
                var array = try NpyReader.read(fileURL)
                if array.shape == [h, w] { array = NpyArray(shape: [h, w, 1], elementType: array.elementType, bytes: array.bytes) }
                guard array.shape == [h, w, 1] else {
                    throw DatasetError.shapeMismatch(path: fileURL.path, expected: "(\(h), \(w), 1) or (\(h), \(w))", found: array.shape)
                }
                try Self.requireFloatingOrInteger(array, path: fileURL.path)
                let values = array.floatScalars().map { $0.isFinite && $0 > 0 ? $0 : 0 }
                targets[entry.task] = FloatArray(shape: [1, h, w], scalars: values)
            case .normals:
                let array = try NpyReader.read(fileURL, expectedShape: [h, w, 3])
                try Self.requireFloatingOrInteger(array, path: fileURL.path)
                targets[entry.task] = FloatArray(shape: [3, h, w], scalars: Self.channelsFirst(array.floatScalars(), h, w, 3))
            }
        }
        return Example(input: FloatArray(shape: [3, h, w], scalars: Self.channelsFirst(image.floatScalars(), h, w, 3)),
                       targets: targets)
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
