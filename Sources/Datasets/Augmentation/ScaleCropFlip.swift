import TandemCore

/// One drawn random scale-crop and flip of a dense sample, as the MTAN / Nash-MTL NYUv2 code
/// applies it (`RandomScaleCrop`, then a horizontal flip): the `window` of size
/// ⌊H/s⌋×⌊W/s⌋ is cut out and resized back to H×W — bilinearly (align_corners=True) for the image
/// and the normals, by nearest neighbour for class labels and depth — the depth is divided by the
/// scale s (objects look s times closer), and then, when `flipped`, every plane is mirrored left to
/// right and the normals' x component negated.
///
/// Invalid label values survive: class −1 and depth 0 are moved, never blended (nearest
/// neighbour; 0/s = 0). Normals are blended as the reference blends them, not renormalised, so a
/// pixel next to an invalid (all-zero) normal becomes a shorter vector, as there.
public struct ScaleCropFlip: Equatable, Sendable {
    /// The zoom factor s ≥ 1.
    public var scale: Double
    /// The part of the H×W sample that is resized back to H×W.
    public var window: PixelWindow
    /// Whether the result is mirrored left to right.
    public var flipped: Bool

    public init(scale: Double, window: PixelWindow, flipped: Bool) {
        self.scale = scale
        self.window = window
        self.flipped = flipped
    }

    /// The size of the window of scale `scale` in an H×W sample: ⌊H/s⌋×⌊W/s⌋ (Python's
    /// `int(height / sc)`, in double precision), at least 1×1.
    public static func windowSize(scale: Double, height: Int, width: Int) -> (height: Int, width: Int) {
        (max(1, Int(Double(height) / scale)), max(1, Int(Double(width) / scale)))
    }

    /// `example` transformed, its targets read by `tasks` (per-pixel kinds only); shapes are kept.
    /// Throws naming the task whose label has no per-pixel layout or does not match the input's H×W.
    public func apply(to example: Example, tasks: [TaskSpec]) throws -> Example {
        let shape = example.input.shape
        guard shape.count == 3, shape[1] >= 1, shape[2] >= 1 else {
            throw DatasetError.invalidArgument("augmentation needs C×H×W inputs, the example's input has shape \(shape)")
        }
        let (height, width) = (shape[1], shape[2])
        guard window.top >= 0, window.left >= 0, window.height >= 1, window.width >= 1,
              window.top + window.height <= height, window.left + window.width <= width else {
            throw DatasetError.invalidArgument("augmentation window \(window) does not fit a \(height)×\(width) sample")
        }
        var result = example
        result.input = transform(example.input, channels: shape[0], height: height, width: width, smooth: true)
        for task in tasks {
            guard let target = example.targets[task.name] else { continue }
            let planes: Int, smooth: Bool
            switch task.kind {
            case .segmentation, .classification: (planes, smooth) = (1, false)
            case .depth: (planes, smooth) = (1, false)
            case .normals: (planes, smooth) = (3, true)
            case .regression:
                throw DatasetError.invalidArgument("augmentation: task \(task.name) is a \(task.kind) task; scale-crop-flip applies to per-pixel tasks only (segmentation, depth, normals)")
            }
            let expected = planes == 1 && target.shape.count == 2 ? [height, width] : [planes, height, width]
            guard target.shape == expected else {
                throw DatasetError.invalidArgument("augmentation: the \(task.name) label has shape \(target.shape), expected \(expected) to match the \(height)×\(width) input")
            }
            var transformed = transform(target, channels: planes, height: height, width: width, smooth: smooth)
            switch task.kind {
            case .depth:
                let divisor = Float(scale)
                transformed.scalars = transformed.scalars.map { $0 / divisor }
            case .normals where flipped:
                for p in 0..<(height * width) { transformed.scalars[p] = -transformed.scalars[p] }
            default: break
            }
            result.targets[task.name] = transformed
        }
        return result
    }

    /// Crop, resize back (bilinear when `smooth`, else nearest) and flip, keeping the shape.
    private func transform(_ array: FloatArray, channels: Int, height: Int, width: Int, smooth: Bool) -> FloatArray {
        var scalars = smooth
            ? WindowResampling.bilinear(array.scalars, channels: channels, height: height, width: width, window: window, toHeight: height, toWidth: width)
            : WindowResampling.nearest(array.scalars, channels: channels, height: height, width: width, window: window, toHeight: height, toWidth: width)
        if flipped { scalars = WindowResampling.mirrored(scalars, channels: channels, height: height, width: width) }
        return FloatArray(shape: array.shape, scalars: scalars)
    }
}
