/// Options of the synthetic-scenes data set (see `SyntheticScenes`). Every field has a default.
public struct SyntheticScenesOptions: Equatable, Sendable, Codable {
    /// Number of samples.
    public var count: Int = 1000
    /// Image height in pixels.
    public var height: Int = 64
    /// Image width in pixels.
    public var width: Int = 96
    /// Seed of the whole set: sample `i` depends only on (`seed`, `i`) and the other options.
    public var seed: UInt64 = 0
    /// Number of semantic classes: 13 gives the NYUv2 classes, any other value ≥ 4 a generic scheme
    /// (floor, wall, ceiling and object classes); see `SceneClassScheme`.
    public var classCount: Int = 13
    /// Number of objects standing on the floor (or on other objects), drawn uniformly per scene.
    public var objectCount: ClosedRange<Int> = 4...10
    /// Number of objects hanging on the walls (pictures, TVs, windows), drawn uniformly per scene.
    public var wallObjectCount: ClosedRange<Int> = 1...3
    /// Focal length in units of the image width (0.81 ≈ the NYUv2 Kinect camera, 63° horizontal field of view).
    public var focalLength: Double = 0.81
    /// Standard deviation of Gaussian noise added to the RGB values (0…1 scale); 0 = none.
    public var imageNoise: Double = 0
    /// Probability that an object is "clutter" whose pixels are labelled −1 (as NYUv2's unlabelled pixels).
    public var unlabelledObjectProbability: Double = 0.05
    /// Whether window pixels have invalid depth and normals (0), as a Kinect sensor sees glass.
    public var invalidDepthOnWindows: Bool = true
    /// The relatedness dial ρ ∈ 0…1 (`SceneCue`): the probability that a floor-standing object's
    /// class is carried by its geometry (the class's shape and size, with a neutral grey look),
    /// rather than by its appearance (the class's colour and pattern, on a random neutral shape).
    /// `nil` (the default): every object has both its class's geometry and its appearance, as the
    /// scenes always had (the same bits).
    public var relatedness: Double?
    /// Whether floor, walls and ceiling carry their classes in the segmentation labels (`nil` =
    /// true). False labels them −1 (ignored), so the primary is about objects only: with the
    /// relatedness dial at ρ = 0 nothing of the label is then geometric (a room surface's class
    /// is its orientation, which normals show).
    public var roomLabels: Bool?
    /// What the depth and normals targets show (`nil` = `.scene`, the image's own geometry).
    public var auxiliaryTargets: AuxiliaryTargets?

    /// What the auxiliary (depth and normals) targets of a sample show.
    public enum AuxiliaryTargets: String, Equatable, Sendable, Codable, CaseIterable {
        /// The geometry of the scene in the image.
        case scene
        /// The geometry of another, independent random scene (per sample, fixed): targets tied to a
        /// nuisance the image does not show, which an auxiliary task can only learn by memorising
        /// the training images — the harmful-auxiliary setting.
        case unrelated
    }

    public init() {}

    /// Options with the common fields set.
    public init(count: Int, height: Int = 64, width: Int = 96, seed: UInt64 = 0, classCount: Int = 13) {
        self.count = count
        self.height = height
        self.width = width
        self.seed = seed
        self.classCount = classCount
    }

    func validate() throws {
        guard count >= 0 else { throw DatasetError.invalidArgument("synthetic scenes: count must be ≥ 0, got \(count)") }
        guard height >= 2 && width >= 2 else {
            throw DatasetError.invalidArgument("synthetic scenes: resolution must be at least 2×2, got \(height)×\(width)")
        }
        guard objectCount.lowerBound >= 0, wallObjectCount.lowerBound >= 0 else {
            throw DatasetError.invalidArgument("synthetic scenes: object counts must be ≥ 0")
        }
        guard focalLength > 0 else { throw DatasetError.invalidArgument("synthetic scenes: focal length must be > 0") }
        guard imageNoise >= 0 else { throw DatasetError.invalidArgument("synthetic scenes: image noise must be ≥ 0") }
        guard (0...1).contains(unlabelledObjectProbability) else {
            throw DatasetError.invalidArgument("synthetic scenes: unlabelled object probability must be in 0…1")
        }
        if let relatedness, !(0...1).contains(relatedness) {
            throw DatasetError.invalidArgument("synthetic scenes: relatedness must be in 0…1, got \(relatedness)")
        }
    }
}
