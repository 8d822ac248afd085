/// A rectangle of an image plane: rows `top..<top + height`, columns `left..<left + width`.
public struct PixelWindow: Equatable, Sendable {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int

    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }
}

/// Resizing a window of C×H×W planes to a new size, with the source indices and weights of
/// PyTorch's `F.interpolate` (the MTAN / Nash-MTL augmentation's resampling):
///
/// * `nearest` is PyTorch's `mode="nearest"`: source = min(⌊dst · (in/out)⌋, in − 1), the ratio and
///   the product in float32 (in = out copies, out = 2·in halves the index, as PyTorch special-cases);
/// * `bilinear` is `mode="bilinear", align_corners=True`: source = dst · (in − 1)/(out − 1) in
///   float32, i₀ = ⌊source⌋, i₁ = min(i₀ + 1, in − 1), λ₁ = source − i₀, and
///   value = (x₀₀·λ₀ʷ + x₀₁·λ₁ʷ)·λ₀ʰ + (x₁₀·λ₀ʷ + x₁₁·λ₁ʷ)·λ₁ʰ in float32.
///
/// Values agree with PyTorch's to float32 rounding (its compiled kernel may fuse multiply–adds);
/// indices and weights are the same.
public enum WindowResampling {
    /// `window` of `planes` (shape [C, H, W], row-major) resized by nearest neighbour to
    /// `height`×`width`.
    public static func nearest(_ planes: [Float], channels: Int, height sourceHeight: Int, width sourceWidth: Int,
                               window: PixelWindow, toHeight height: Int, toWidth width: Int) -> [Float] {
        let rows = (0..<height).map { window.top + nearestSource($0, inputSize: window.height, outputSize: height) }
        let columns = (0..<width).map { window.left + nearestSource($0, inputSize: window.width, outputSize: width) }
        var result = [Float](repeating: 0, count: channels * height * width)
        planes.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { output in
                for channel in 0..<channels {
                    let sourcePlane = channel * sourceHeight * sourceWidth, outputPlane = channel * height * width
                    for y in 0..<height {
                        let sourceRow = sourcePlane + rows[y] * sourceWidth, outputRow = outputPlane + y * width
                        for x in 0..<width { output[outputRow + x] = source[sourceRow + columns[x]] }
                    }
                }
            }
        }
        return result
    }

    /// `window` of `planes` (shape [C, H, W], row-major) resized bilinearly (align_corners=True) to
    /// `height`×`width`.
    public static func bilinear(_ planes: [Float], channels: Int, height sourceHeight: Int, width sourceWidth: Int,
                                window: PixelWindow, toHeight height: Int, toWidth width: Int) -> [Float] {
        let rows = (0..<height).map { linearSource($0, inputSize: window.height, outputSize: height) }
        let columns = (0..<width).map { linearSource($0, inputSize: window.width, outputSize: width) }
        var result = [Float](repeating: 0, count: channels * height * width)
        planes.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { output in
                for channel in 0..<channels {
                    let sourcePlane = channel * sourceHeight * sourceWidth, outputPlane = channel * height * width
                    for y in 0..<height {
                        let row = rows[y]
                        let upper = sourcePlane + (window.top + row.first) * sourceWidth + window.left
                        let lower = sourcePlane + (window.top + row.second) * sourceWidth + window.left
                        let outputRow = outputPlane + y * width
                        for x in 0..<width {
                            let column = columns[x]
                            let top = source[upper + column.first] * column.firstWeight + source[upper + column.second] * column.secondWeight
                            let bottom = source[lower + column.first] * column.firstWeight + source[lower + column.second] * column.secondWeight
                            output[outputRow + x] = top * row.firstWeight + bottom * row.secondWeight
                        }
                    }
                }
            }
        }
        return result
    }

    /// Each row of every plane reversed (a horizontal flip of C×H×W planes).
    public static func mirrored(_ planes: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        var result = planes
        for row in 0..<(channels * height) {
            let start = row * width
            for x in 0..<width { result[start + x] = planes[start + width - 1 - x] }
        }
        return result
    }

    /// PyTorch's legacy nearest source index (`nearest_idx`).
    static func nearestSource(_ destination: Int, inputSize: Int, outputSize: Int) -> Int {
        if outputSize == inputSize { return destination }
        if outputSize == 2 * inputSize { return destination >> 1 }
        let scale = Float(inputSize) / Float(outputSize)
        return min(Int((Float(destination) * scale).rounded(.down)), inputSize - 1)
    }

    /// The two source indices and their weights of one output index (align_corners=True).
    struct LinearSource: Equatable {
        var first: Int
        var second: Int
        var firstWeight: Float
        var secondWeight: Float
    }

    /// PyTorch's `compute_source_index_and_lambda` with align_corners=True.
    static func linearSource(_ destination: Int, inputSize: Int, outputSize: Int) -> LinearSource {
        if outputSize == inputSize { return LinearSource(first: destination, second: destination, firstWeight: 1, secondWeight: 0) }
        let ratio: Float = outputSize > 1 ? Float(inputSize - 1) / Float(outputSize - 1) : 0
        let real = ratio * Float(destination)
        let first = min(Int(real.rounded(.down)), inputSize - 1)
        let secondWeight = min(max(real - Float(first), 0), 1)
        return LinearSource(first: first, second: first + (first < inputSize - 1 ? 1 : 0),
                            firstWeight: 1 - secondWeight, secondWeight: secondWeight)
    }
}
