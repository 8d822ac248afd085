import Foundation
import TandemCore

/// Learning to Branch (Guo, Lee, Ulbricht, ICML 2020), as LibMTL's repository builds it around an
/// encoder (LTB is not in LibMTL 1.1.5 on PyPI): one copy of the encoder per task, and before each
/// stage every task picks which task's previous level it reads, by a hard Gumbel-softmax over
/// learned logits α (S + 2 × T × T, initialised to ones; LibMTL uses rows 1…S),
///
///     h_t⁰ = stem⁽ᵗ⁾(x)
///     h_tⁱ = stage_{i−1}⁽ᵗ⁾(Σ_j A[i][t][j] · h_jⁱ⁻¹)      i = 1…S
///     A = ones                                            in warm-up: epoch < epochs / 100
///     A = hardGumbelSoftmax(α, τ), τ = (epochs / 20) / √(epoch + 1)     after it
///     z_t = h_t^S
///
/// The hard Gumbel-softmax is one-hot in value and has the tempered softmax's gradient (the
/// straight-through estimator, PyTorch's `gumbel_softmax(hard=True)`). Its noise is drawn from the
/// step's seed (`TrainingProgress`), the same for every pass of a step, so runs are reproducible
/// and resumable. Evaluation reads the branches deterministically: all of them in warm-up, else
/// each task's most likely one (argmax α); LibMTL samples there too.
///
/// **Shared**: everything in the encoder — every task's copy and α (LibMTL's `get_share_params()`).
/// The encoder must end with its last stage (no tail).
public struct LTB: MultiTaskModel, ReferenceStateDictionary {
    let networks: TaskNetworks

    public init(encoderModel: any StagedEncoderModel) {
        networks = TaskNetworks(encoderModel: encoderModel, architecture: "LTB", mixingName: "alpha") { s, t in [s + 2, t, t] }
    }

    public var taskNames: [String] { networks.tasks }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters { networks.initialParameters(generator: &generator) }

    public func initialBuffers() -> Parameters { networks.initialBuffers() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let a = branchWeights(networks.mixing(input, context), context)
        let t = taskNames.count
        var features = networks.networks.map { $0.runStem(input, context) }
        for i in 1...networks.stageCount {
            features = (0..<t).map { task in
                let weights = (0..<t).map { j in a.slice(axis: 0, range: i..<i + 1).slice(axis: 1, range: task..<task + 1).slice(axis: 2, range: j..<j + 1) }
                return networks.networks[task].runStage(i - 1, TaskNetworks.mix(features, weights: weights), context)
            }
        }
        return networks.heads.representation(features)
    }

    /// A: ones in warm-up, the hard Gumbel-softmax of α in training after it, argmax α in evaluation.
    func branchWeights(_ alpha: Tensor, _ context: ForwardContext) -> Tensor {
        if let progress = context.progress, Double(progress.epoch) < Double(progress.epochs) / 100 { return Tensor.ones(alpha.shape) }
        guard context.isTraining, let progress = context.progress else { return LTB.oneHotArgmax(alpha.detached) }
        let tau = Double(progress.epochs) / 20 / (Double(progress.epoch) + 1).squareRoot()
        return LTB.hardGumbelSoftmax(alpha, noise: LTB.gumbelNoise(shape: alpha.shape, seed: progress.seed), tau: Float(tau))
    }

    /// g = −log(E), E ~ Exp(1) = −log(U), U ~ U(0, 1]: standard Gumbel noise from `seed`.
    static func gumbelNoise(shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
            let u = max(1 - generator.nextUniformDouble(), Double.leastNormalMagnitude)
            return Float(-Foundation.log(-Foundation.log(u)))
        })
    }

    /// PyTorch's `gumbel_softmax(hard=True)` over the last axis: y = softmax((α + g) / τ);
    /// (one_hot(argmax y) − detach(y)) + y.
    static func hardGumbelSoftmax(_ logits: Tensor, noise: Tensor, tau: Float) -> Tensor {
        let soft = softmax((logits + noise) * (1 / tau), axis: logits.rank - 1)
        return (oneHotArgmax(soft.detached) - soft.detached) + soft
    }

    /// One-hot of the first maximum along the last axis (a constant).
    static func oneHotArgmax(_ x: Tensor) -> Tensor {
        let n = x.shape.last!, values = x.scalars
        var result = [Float](repeating: 0, count: values.count)
        for row in 0..<values.count / n {
            var best = row * n
            for k in row * n..<(row + 1) * n where values[k] > values[best] { best = k }
            result[best] = 1
        }
        return Tensor(shape: x.shape, scalars: result)
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        networks.heads.head(task, representation, context)
    }

    public func referenceName(of name: String) -> String? { networks.referenceName(of: name) }
}
