import XCTest
import TandemCore
import TandemModels

/// The NYUv2-like task triple the dense-model tests use.
let denseTriple = [DenseTaskHead(task: "segmentation", channels: 13), DenseTaskHead(task: "depth", channels: 1),
                   DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)]

func initialParameters(_ model: any MultiTaskModel, seed: UInt64 = 0) -> Parameters {
    var generator = SeededGenerator(seed: seed)
    return model.initialParameters(generator: &generator)
}

/// ‖a − b‖ ≤ tolerance · ‖a‖ for every named tensor (the names must agree).
func assertClose(_ a: Parameters, _ b: Parameters, relativeTolerance: Float = 1e-4, label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.names, b.names, label, file: file, line: line)
    for name in a.names {
        let x = a[name].scalars, y = b[name].scalars
        let difference = zip(x, y).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let size = x.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        XCTAssertLessThanOrEqual(difference, relativeTolerance * size + 1e-9, "\(label): \(name)", file: file, line: line)
    }
}

/// Checks that backpropagating each task's loss through its head to z, summing those gradients at
/// z and backpropagating the sum through the encoder gives the same shared-parameter gradient as
/// one backward pass of the total loss Σ_t L_t — and the same head gradients.
func assertGradientThroughRepresentationEqualsFullBackward(
    _ model: any MultiTaskModel, input: Tensor, losses: [String: (Tensor) -> Tensor], seed: UInt64 = 5,
    label: String, file: StaticString = #filePath, line: UInt = #line
) {
    let parameters = initialParameters(model, seed: seed)
    let buffers = model.initialBuffers()
    // Route 1: one backward of the total loss to every parameter.
    let tracked = parameters.tracked()
    let context = ForwardContext(parameters: tracked, buffers: buffers, isTraining: true)
    let outputs = model(input, context)
    let total = model.taskNames.map { losses[$0]!(outputs[$0]!) }.reduce(Tensor.zeros([]), +)
    let direct = grad(of: total, wrt: tracked)
    // Route 2: per task, ∂L_t/∂z through the head on a detached z; then z's graph with seed Σ_t ∂L_t/∂z.
    let tracked2 = parameters.tracked()
    let context2 = ForwardContext(parameters: tracked2, buffers: buffers, isTraining: true)
    let z = model.encode(input, context2)
    let leaf = z.detached.tracked()
    var seedAtZ = Tensor.zeros(z.shape)
    var headGradients = Parameters()
    for task in model.taskNames {
        let headParameters = tracked2.head(task)
        let taskLoss = losses[task]!(model.head(task, leaf, context2))
        let gradients = grad(of: taskLoss, wrt: [leaf] + headParameters.tensorsInOrder)
        seedAtZ = seedAtZ + gradients[0]
        for (name, gradient) in zip(headParameters.names, gradients.dropFirst()) { headGradients[name] = gradient }
    }
    let viaZ = grad(of: z, wrt: tracked2.shared, seed: seedAtZ)
    XCTAssertGreaterThan(seedAtZ.norm().scalar, 0, "\(label): the gradient at z is zero", file: file, line: line)
    XCTAssertGreaterThan(viaZ.norm().scalar, 0, "\(label): the shared gradient is zero", file: file, line: line)
    assertClose(direct.shared, viaZ, label: "\(label) shared", file: file, line: line)
    assertClose(direct.filter { !$0.hasPrefix("shared.") }, headGradients, label: "\(label) heads", file: file, line: line)
}

/// N×3×32×32 piecewise-constant images: random 4×4 grids up-sampled by 8, so that targets derived
/// from them vary at a scale a small split model learns within a few dozen steps.
func blockyImages(batch: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return upsampleNearest(Tensor.randomNormal([batch, 3, 4, 4], generator: &generator), factor: 8)
}

/// Synthetic dense targets for a batch of N×3×H×W images: segmentation labels (4 classes from
/// the sign pattern of the first two input channels), a positive depth map (a smooth function of
/// the input) and unit normals (the normalised first three input channels).
func denseTargets(for input: Tensor) -> [String: Tensor] {
    let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
    let plane = height * width
    let x = input.scalars
    var labels = [Float](repeating: 0, count: batch * plane)
    var depth = [Float](repeating: 0, count: batch * plane)
    var normals = [Float](repeating: 0, count: batch * 3 * plane)
    for n in 0..<batch {
        for i in 0..<plane {
            let r = x[(n * 3) * plane + i], g = x[(n * 3 + 1) * plane + i], b = x[(n * 3 + 2) * plane + i]
            labels[n * plane + i] = Float((r > 0 ? 1 : 0) + (g > 0 ? 2 : 0))
            depth[n * plane + i] = 2 + 0.5 * r - 0.3 * g
            let length = (r * r + g * g + b * b).squareRoot()
            normals[(n * 3) * plane + i] = r / length
            normals[(n * 3 + 1) * plane + i] = g / length
            normals[(n * 3 + 2) * plane + i] = b / length
        }
    }
    return ["segmentation": Tensor(shape: [batch, height, width], scalars: labels),
            "depth": Tensor(shape: [batch, 1, height, width], scalars: depth),
            "normals": Tensor(shape: [batch, 3, height, width], scalars: normals)]
}

/// The loss of each dense task (segmentation classes taken from the targets: 4).
func denseLosses(targets: [String: Tensor]) -> [String: (Tensor) -> Tensor] {
    ["segmentation": { crossEntropy(logits: $0, labels: targets["segmentation"]!) },
     "depth": { maskedL1(prediction: $0, target: targets["depth"]!, mask: nonZeroMask(targets["depth"]!)) },
     "normals": { cosineLoss(prediction: $0, target: targets["normals"]!, mask: nonZeroMask(targets["normals"]!)) }]
}

/// Trains `model` with SGD (momentum 0.9) on one fixed batch for `steps` steps, folding batch-norm
/// statistics into the buffers through a sink each step; returns every task's loss per step.
func trainOnFixedBatch(_ model: any MultiTaskModel, input: Tensor, losses: [String: (Tensor) -> Tensor],
                       steps: Int, learningRate: Float, seed: UInt64 = 1) -> (losses: [String: [Float]], buffers: Parameters) {
    var parameters = initialParameters(model, seed: seed)
    var buffers = model.initialBuffers()
    let optimiser = SGD(momentum: 0.9)
    var state = optimiser.initialState(for: parameters)
    var history: [String: [Float]] = [:]
    for _ in 0..<steps {
        let tracked = parameters.tracked()
        let sink = BatchNormStatisticsSink()
        let outputs = model(input, ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, statistics: sink))
        var total = Tensor.zeros([])
        for task in model.taskNames {
            let loss = losses[task]!(outputs[task]!)
            history[task, default: []].append(loss.scalar)
            total = total + loss
        }
        (parameters, state) = optimiser.step(parameters: parameters, gradients: grad(of: total, wrt: tracked), state: state,
                                             learningRate: learningRate)
        buffers = sink.updatedBuffers(buffers)
    }
    return (history, buffers)
}

extension Array where Element: Hashable {
    /// The elements in order, without repeats.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
