import Foundation
import TandemCore
import TandemModels

// Full training steps (issue 3): forward through the shared encoder and every head, the sum of the
// task losses (equal weighting), backward to every parameter, plain SGD update, batch-norm running
// statistics folded in — what one `optimizer.zero_grad(); loss.backward(); optimizer.step()`
// iteration does in PyTorch. benchmarks/peer/models.py is the same model in plain torch.nn.
//
//   tandem-bench models multilenet batch=256 height=36 width=36
//   tandem-bench models splitvgg split=3 batch=8 height=64 width=96
//   tandem-bench models splitvgg split=2 blocks=3 scale=0.25 batch=8 height=32 width=32  (the quickstart's model)
//   tandem-bench models segnet-mtan batch=2 height=288 width=384

/// A model to benchmark with the tasks it is trained on and its input shape.
struct BenchmarkModel {
    var name: String
    var model: any MultiTaskModel
    var tasks: [TaskSpec]
    var inputShape: [Int]
}

func makeBenchmarkModel(_ options: BenchmarkOptions) -> BenchmarkModel {
    guard let name = options.positional.first else { fail("models: name a model: multilenet, splitvgg, segnet or segnet-mtan") }
    let batch = options.int("batch", name == "multilenet" ? 256 : 8)
    switch name {
    case "multilenet":
        // MultiMNIST: two 10-class digit tasks (left, right) on 1×side×side images.
        let side = options.int("height", 36)
        guard options.int("width", side) == side else { fail("models: MultiLeNet needs square inputs") }
        let model = MultiLeNet(inputSide: side, heads: [(task: "left", classes: 10), (task: "right", classes: 10)])
        return BenchmarkModel(name: name, model: model,
                              tasks: [TaskSpec(name: "left", kind: .classification(classes: 10)),
                                      TaskSpec(name: "right", kind: .classification(classes: 10))],
                              inputShape: [batch, 1, side, side])
    case "splitvgg":
        // The NYUv2 task triple: 13-class segmentation (ignore −1), depth (masked L1), normals (cosine).
        // `blocks` and `scale` (the model's channel multiplier, `width` in a recipe) as in the quickstart.
        let split = options.int("split", 3), height = options.int("height", 64), width = options.int("width", 96)
        let model = SplitVGG(split: split, heads: [DenseTaskHead(task: "segmentation", channels: 13),
                                                   DenseTaskHead(task: "depth", channels: 1),
                                                   DenseTaskHead(task: "normals", channels: 3)],
                             width: options.double("scale", 1), blocks: options.int("blocks", 5))
        return BenchmarkModel(name: "\(name)-\(split)", model: model,
                              tasks: [TaskSpec(name: "segmentation", kind: .segmentation(classes: 13)),
                                      TaskSpec(name: "depth", kind: .depth),
                                      TaskSpec(name: "normals", kind: .normals)],
                              inputShape: [batch, 3, height, width])
    case "segnet", "segnet-mtan":
        // The MTAN code's NYUv2 models at NYUv2's 288×384 (the reference's task triple).
        let height = options.int("height", 288), width = options.int("width", 384)
        let heads = [DenseTaskHead(task: "segmentation", channels: 13), DenseTaskHead(task: "depth", channels: 1),
                     DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)]
        let model: any MultiTaskModel = name == "segnet" ? SegNet(heads: heads) : SegNetMTAN(heads: heads)
        return BenchmarkModel(name: name, model: model,
                              tasks: [TaskSpec(name: "segmentation", kind: .segmentation(classes: 13)),
                                      TaskSpec(name: "depth", kind: .depth),
                                      TaskSpec(name: "normals", kind: .normals)],
                              inputShape: [batch, 3, height, width])
    default:
        fail("models: unknown model \(name); use multilenet, splitvgg, segnet or segnet-mtan")
    }
}

/// Random targets of the right kind and shape (about 10 % of pixels missing / ignored, as in
/// real depth and segmentation data).
func randomTarget(_ kind: TaskKind, batch: Int, height: Int, width: Int, generator: inout SeededGenerator) -> Tensor {
    switch kind {
    case let .classification(classes):
        return Tensor(shape: [batch]) { out in
            for i in 0..<batch { out[i] = Float(Int(generator.nextUniform() * Float(classes)) % classes) }
        }
    case let .segmentation(classes):
        return Tensor(shape: [batch, height, width]) { out in
            for i in 0..<out.count {
                out[i] = generator.nextUniform() < 0.1 ? -1 : Float(Int(generator.nextUniform() * Float(classes)) % classes)
            }
        }
    case .depth:
        return Tensor(shape: [batch, 1, height, width]) { out in
            for i in 0..<out.count { out[i] = generator.nextUniform() < 0.1 ? 0 : 0.5 + 4 * generator.nextUniform() }
        }
    case .normals:
        return Tensor(shape: [batch, 3, height, width]) { out in
            let plane = height * width
            for n in 0..<batch {
                for p in 0..<plane {
                    let missing = generator.nextUniform() < 0.1
                    var v = (0..<3).map { _ in generator.nextNormal() }
                    let length = max(1e-6, (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot())
                    v = v.map { missing ? 0 : $0 / length }
                    for c in 0..<3 { out[(n * 3 + c) * plane + p] = v[c] }
                }
            }
        }
    case let .regression(outputs):
        return Tensor.randomNormal([batch, outputs], generator: &generator)
    }
}

func runModelBenchmark(_ arguments: [String]) {
    let options = BenchmarkOptions(arguments)
    let setup = makeBenchmarkModel(options)
    var generator = SeededGenerator(seed: UInt64(options.int("seed", 1)))
    let learningRate = Float(options.double("lr", 0.01))
    let (batch, height, width) = (setup.inputShape[0], setup.inputShape[2], setup.inputShape[3])

    var parameters = setup.model.initialParameters(generator: &generator)
    var buffers = setup.model.initialBuffers()
    let optimizer = SGD()
    var state = optimizer.initialState(for: parameters)
    let input = Tensor.randomNormal(setup.inputShape, generator: &generator)
    var targets: [String: Tensor] = [:]
    for task in setup.tasks {
        targets[task.name] = randomTarget(task.kind, batch: batch, height: height, width: width, generator: &generator)
    }

    var lastLoss: Float = .nan
    let timing = measure(options.policy) {
        let tracked = parameters.tracked()
        let statistics = BatchNormStatisticsSink()
        let context = ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, statistics: statistics)
        let outputs = setup.model(input, context)
        var total = Tensor(0)
        for task in setup.tasks {
            total = total + task.kind.loss(prediction: outputs[task.name]!, target: targets[task.name]!)
        }
        let gradients = grad(of: total, wrt: tracked)
        (parameters, state) = optimizer.step(parameters: parameters, gradients: gradients, state: state,
                                             learningRate: learningRate)
        buffers = statistics.updatedBuffers(buffers)
        lastLoss = total.scalar
    }
    report(["model": setup.name, "shape": "\(setup.inputShape.map(String.init).joined(separator: "x"))",
            "tasks": setup.tasks.map(\.name).joined(separator: ","), "parameters": parameters.scalarCount,
            "parameter_tensors": parameters.count, "last_loss": Double(lastLoss),
            "live_tensor_mib": Double(TensorMemory.liveBytes) / 1048576,
            "pooled_mib": Double(TensorMemory.pooledBytes) / 1048576,
            "peak_live_mib": Double(TensorMemory.peakLiveBytes) / 1048576,
            "peak_footprint_mib": Double(TensorMemory.peakFootprint) / 1048576], timing)
}
