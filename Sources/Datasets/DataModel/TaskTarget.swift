/// What kind of label a task has, which fixes its "no label here" value and its metrics.
public enum TargetKind: Equatable, Sendable, Codable {
    /// One class per image (shape `[]`), `classCount` classes, −1 = ignore.
    case classification(classCount: Int)
    /// One class per pixel (shape `[H, W]`), −1 = ignore.
    case segmentation(classCount: Int)
    /// Depth or disparity per pixel (shape `[1, H, W]`), 0 = invalid (the MTAN convention).
    case depth
    /// Unit surface normals per pixel (shape `[3, H, W]`), all-zero = invalid.
    case normals

    /// The value that marks an element as unlabelled: −1 for class labels, 0 for dense regression.
    public var ignoreValue: Float {
        switch self {
        case .classification, .segmentation: return -1
        case .depth, .normals: return 0
        }
    }
}

/// A task a data set provides labels for: its name, kind and per-sample label shape.
public struct TaskTarget: Equatable, Sendable, Codable {
    public var name: String
    public var kind: TargetKind
    /// The shape of one sample's label (no batch axis).
    public var shape: [Int]

    public init(name: String, kind: TargetKind, shape: [Int]) {
        self.name = name
        self.kind = kind
        self.shape = shape
    }
}

/// Standard task names shared by the dense (scene) data sets.
public enum DenseTaskName {
    /// Semantic segmentation (`TargetKind.segmentation`).
    public static let segmentation = "segmentation"
    /// Depth in metres (`TargetKind.depth`).
    public static let depth = "depth"
    /// Surface normals (`TargetKind.normals`).
    public static let normals = "normals"
}
