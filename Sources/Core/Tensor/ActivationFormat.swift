/// Where an N×C×H×W activation's values are in memory: Tandem's N×C×H×W (`plain`, what every op
/// reads), or the convolution kernels' N×⌈C/b⌉×H×W×b with b channels per block (oneDNN's nChw8c
/// and nChw16c; the last block's missing channels are zeros).
///
/// A tensor holds its values in one format (`Tensor.format`). Convolutions and batch norm read and
/// write the blocked one, so that a conv → batch norm → ReLU → conv chain does not reorder every
/// activation and its gradient to N×C×H×W and back; every other op reads `Tensor.storage`, which
/// for a blocked tensor is an N×C×H×W copy made on first use.
enum ActivationFormat: Hashable, Sendable {
    case plain
    case blocked(Int)

    /// Floats from one image to the next.
    func imageStride(channels: Int, plane: Int) -> Int {
        switch self {
        case .plain: return channels * plane
        case .blocked(let b): return (channels + b - 1) / b * b * plane
        }
    }

    /// Floats a tensor of `shape` (N×C×H×W) takes in this format.
    func storageCount(_ shape: [Int]) -> Int {
        switch self {
        case .plain: return Shape.count(shape)
        case .blocked: return shape[0] * imageStride(channels: shape[1], plane: shape[2] * shape[3])
        }
    }
}

/// The layout a convolution or batch norm leaves its output in.
///
/// `standard` is N×C×H×W. `blocked` lets the op keep the convolution kernels' channel-blocked
/// layout when it computes there (oneDNN's kernels, channels ≥ 8): for an output that the next op
/// reads as a convolution or a batch norm does. Any other op still reads it correctly, through an
/// N×C×H×W copy it makes once, so the choice changes speed and memory, never the numbers.
public enum OutputLayout: Sendable {
    case standard
    case blocked

    /// Whether ops may leave outputs blocked at all (tests and benchmarks turn it off to compare).
    nonisolated(unsafe) public static var blockedOutputsAllowed = true
}

extension Tensor {
    /// The layout this tensor is held in, as an op's `output` argument names it.
    var layout: OutputLayout { format == .plain ? .standard : .blocked }
}

extension ActivationFormat {
    /// A copy of `values` (a tensor of `shape` held in this format) in `target` (a oneDNN reorder).
    func reordered(_ values: TensorStorage, _ shape: [Int], to target: ActivationFormat) -> TensorStorage {
        let copy = TensorStorage(count: target.storageCount(shape))
        OneDNNConvolution.reorder(values.pointer, OneDNNConvolution.descriptor(shape, self),
                                  into: copy.pointer, OneDNNConvolution.descriptor(shape, target))
        return copy
    }
}

extension Tensor {
    /// The values in `format`: this tensor's own storage when it holds them so, else a copy.
    func storage(in format: ActivationFormat) -> TensorStorage {
        if format == self.format { return heldStorage }
        if format == .plain { return storage }
        return self.format.reordered(heldStorage, shape, to: format)
    }
}
