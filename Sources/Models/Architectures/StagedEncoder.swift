import TandemCore

/// An encoder taken apart the way LibMTL's architectures reach into a ResNet (`conv1` … `layer4`):
/// a stem, stages of blocks and a tail, run in that order. Cross-stitch, LTB and PLE connect
/// copies of it between stages; MTAN attends over each stage; MMoE, CGC and DSelect-k use whole
/// copies as experts.
public struct EncoderStages {
    /// The layers before the first stage (ResNet: conv1, bn1, ReLU, max-pool).
    public var stem: [any Layer]
    /// Each stage's blocks (ResNet: layer1 … layer4).
    public var stages: [[any Layer]]
    /// Each stage's output channels.
    public var stageChannels: [Int]
    /// The encoder's layers after its last stage (a split model's shared decoder blocks); LibMTL's
    /// stage-wise architectures have none, Tandem's apply it to each task's representation.
    public var tail: [any Layer]

    public init(stem: [any Layer], stages: [[any Layer]], stageChannels: [Int], tail: [any Layer] = []) {
        precondition(stages.count == stageChannels.count && !stages.isEmpty, "an encoder needs stages, each with its channel count")
        self.stem = stem
        self.stages = stages
        self.stageChannels = stageChannels
        self.tail = tail
    }

    /// Every layer, in order.
    public var layers: [any Layer] { stem + stages.flatMap { $0 } + tail }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        layers.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
    }

    public func initialBuffers() -> Parameters { layers.reduce(Parameters()) { $0.merging($1.initialBuffers()) } }

    /// The whole encoder: stem → stages → tail.
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        layers.reduce(input) { $1($0, context) }
    }

    /// The stem alone.
    public func runStem(_ input: Tensor, _ context: ForwardContext) -> Tensor { stem.reduce(input) { $1($0, context) } }

    /// Stage `index`'s blocks in `blocks` (all of them by default).
    public func runStage(_ index: Int, _ input: Tensor, _ context: ForwardContext, blocks: Range<Int>? = nil) -> Tensor {
        stages[index][blocks ?? stages[index].indices].reduce(input) { $1($0, context) }
    }

    /// The tail alone.
    public func runTail(_ input: Tensor, _ context: ForwardContext) -> Tensor { tail.reduce(input) { $1($0, context) } }

    /// The shapes one sample of `inputShape` takes through the encoder (at its initial parameters,
    /// in evaluation mode): the stem's output, and per stage the output of all its blocks but the
    /// last, then of the last. What PLE sizes its gates by and MTAN checks its pooling against.
    public func probeShapes(inputShape: [Int]) -> (stem: [Int], stages: [(beforeLast: [Int], output: [Int])]) {
        Tape.withoutRecording {
            var generator = SeededGenerator(seed: 0)
            let context = ForwardContext(parameters: initialParameters(generator: &generator), buffers: initialBuffers(), isTraining: false)
            var x = runStem(Tensor.zeros([1] + inputShape), context)
            let stem = x.shape
            var shapes: [(beforeLast: [Int], output: [Int])] = []
            for i in stages.indices {
                let last = stages[i].count - 1
                let before = runStage(i, x, context, blocks: 0..<last)
                x = runStage(i, before, context, blocks: last..<last + 1)
                shapes.append((before.shape, x.shape))
            }
            return (stem, shapes)
        }
    }
}

/// A model whose encoder an architecture can copy and take apart: the `encoder` of a recipe's
/// architecture (`model: {name: mtan, encoder: resnet}`). Its heads read one task's representation,
/// which has the shape of its own encoder's output.
public protocol StagedEncoderModel: MultiTaskModel {
    /// A fresh copy of the encoder whose parameter and buffer names start with `prefix` (its own
    /// `encode` uses `shared`).
    func encoderStages(prefix: String) -> EncoderStages
}
