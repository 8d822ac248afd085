/// Standard task names shared by the dense (scene) data sets.
public enum DenseTaskName {
    /// Semantic segmentation (`TaskKind.segmentation`).
    public static let segmentation = "segmentation"
    /// Depth in metres (`TaskKind.depth`).
    public static let depth = "depth"
    /// Surface normals (`TaskKind.normals`).
    public static let normals = "normals"
}
