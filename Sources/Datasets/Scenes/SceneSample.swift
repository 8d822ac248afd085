/// One rendered synthetic scene: the NYUv2 task triple plus the RGB input, as plain arrays.
///
/// Layouts: `image` and `normals` are 3×H×W (channel-major), `depth`, `labels` and `instances`
/// H×W, rows top to bottom.
public struct SceneSample: Equatable, Sendable {
    public let height: Int
    public let width: Int
    /// RGB in 0…1 (Lambertian shading of textured surfaces, plus optional noise).
    public var image: [Float]
    /// z-depth in metres in the camera frame; 0 where invalid.
    public var depth: [Float]
    /// Unit surface normals in the camera frame (x right, y down, z forward), facing the camera;
    /// all-zero where invalid.
    public var normals: [Float]
    /// Semantic class per pixel, −1 where undefined.
    public var labels: [Int32]
    /// Which primitive each pixel shows: 0 floor, 1 ceiling, 2–5 walls, 6 + k object k.
    public var instances: [Int32]

    public init(height: Int, width: Int, image: [Float], depth: [Float], normals: [Float], labels: [Int32], instances: [Int32]) {
        let pixels = height * width
        precondition(image.count == 3 * pixels && normals.count == 3 * pixels && depth.count == pixels
                     && labels.count == pixels && instances.count == pixels, "SceneSample: array sizes do not match \(height)×\(width)")
        self.height = height
        self.width = width
        self.image = image
        self.depth = depth
        self.normals = normals
        self.labels = labels
        self.instances = instances
    }

    /// The sample as an `Example`: input `[3, H, W]`; targets `segmentation` `[H, W]` (−1 ignore),
    /// `depth` `[1, H, W]` (0 invalid), `normals` `[3, H, W]` (all-zero invalid).
    public func example() -> Example {
        Example(input: FloatArray(shape: [3, height, width], scalars: image), targets: [
            DenseTaskName.segmentation: FloatArray(shape: [height, width], labels: labels),
            DenseTaskName.depth: FloatArray(shape: [1, height, width], scalars: depth),
            DenseTaskName.normals: FloatArray(shape: [3, height, width], scalars: normals),
        ])
    }
}
