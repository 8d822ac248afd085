import TandemCore

/// DSelect-k (Hazimeh et al., "DSelect-k: Differentiable Selection in the Mixture of Experts with
/// Applications to Multi-Task Learning", NeurIPS 2021), as LibMTL 1.1.5 builds it around an
/// encoder: MMoE whose gates are k differentiable selectors over binary expert codes,
///
///     e_j = E_j(x)                                   j = 0…K−1 experts; code(j) ∈ {0,1}^B, B = ⌈log₂ K⌉
///     s_t = S(U_t · flatten(x) + c_t)                N × k × B, S the cubic smooth step (γ = 1)
///     r_t[i, j] = Π_b (code(j)_b ? s_t[i, b] : 1 − s_t[i, b])     selector i's weight on expert j
///     w_t = softmax(V_t · flatten(x) + d_t)          N × k, the selectors' weights
///     z_t = Σ_j (Σ_i w_t[i] · r_t[i, j]) · e_j
///
/// S(t) = 0 for t ≤ −γ/2, 1 for t ≥ γ/2, −2t³/γ³ + 3t/(2γ) + ½ between. As in LibMTL, the smooth
/// step uses γ = 1 and `kgamma` sets only the selector logits' initialisation, U(±γ/100); the
/// selector weights start at U(±0.05). LibMTL also computes an entropy regulariser inside its
/// forward pass and back-propagates it at once, but its trainer zeroes the gradients before the
/// step, so it never acts; Tandem leaves it out.
///
/// **Shared**: the experts. Task t's selectors are its own (`heads.TASK.architecture._z_logits`,
/// `._w_logits`).
public struct DSelectK: MultiTaskModel, ReferenceStateDictionary {
    let heads: ArchitectureHeads
    let experts: [EncoderStages]
    let selectorLogits: [String: Linear], selectorWeights: [String: Linear]
    let selectors: Int, gamma: Double
    /// B, the bits of an expert's code.
    let codeLength: Int

    public init(encoderModel: any StagedEncoderModel, inputShape: [Int], experts: Int, selectors: Int, gamma: Double) {
        precondition(experts >= 1 && selectors >= 1 && gamma > 0, "DSelect-k needs experts ≥ 1, num_nonzeros ≥ 1, kgamma > 0")
        heads = ArchitectureHeads(encoderModel: encoderModel)
        self.experts = (0..<experts).map { encoderModel.encoderStages(prefix: "shared.experts_shared.\($0)") }
        self.selectors = selectors
        self.gamma = gamma
        var bits = 0
        while (1 << bits) < experts { bits += 1 }
        codeLength = bits
        let inputSize = inputShape.reduce(1, *)
        selectorLogits = Dictionary(uniqueKeysWithValues: encoderModel.taskNames.map {
            ($0, Linear(name: "heads.\($0).architecture._z_logits", inputSize: inputSize, outputSize: selectors * bits))
        })
        selectorWeights = Dictionary(uniqueKeysWithValues: encoderModel.taskNames.map {
            ($0, Linear(name: "heads.\($0).architecture._w_logits", inputSize: inputSize, outputSize: selectors))
        })
    }

    public var taskNames: [String] { heads.taskNames }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = experts.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
        let bound = Float(gamma / 100)
        for task in taskNames {
            for (layer, range) in [(selectorLogits[task]!, bound), (selectorWeights[task]!, Float(0.05))] {
                for (name, value) in layer.initialParameters(generator: &generator) {
                    parameters[name] = Tensor.randomUniform(value.shape, low: -range, high: range, generator: &generator)
                }
            }
        }
        return parameters.merging(heads.initialParameters(generator: &generator))
    }

    public func initialBuffers() -> Parameters { experts.reduce(heads.initialBuffers()) { $0.merging($1.initialBuffers()) } }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let outputs = experts.map { $0(input, context) }
        let flat = input.reshaped([input.shape[0], input.count / input.shape[0]])
        return heads.representation(taskNames.map { task in
            mixture(outputs, weights: expertWeights(task, flat, context))
        })
    }

    /// Σ_i w_t[i] · r_t[i, j]: N × K.
    func expertWeights(_ task: String, _ flat: Tensor, _ context: ForwardContext) -> Tensor {
        let n = flat.shape[0], experts = self.experts.count
        let steps = DSelectK.smoothStep(selectorLogits[task]!(flat, context).reshaped([n, selectors, 1, codeLength]))
        // r[n, i, j] = Π_b (code(j)_b ? s : 1 − s) = Π_b ((1 − c_jb) + (2c_jb − 1) · s_b)
        var selected = Tensor.ones([n, selectors, experts])
        for b in 0..<codeLength {
            // Bit b of code(j), most significant first (numpy's binary_repr).
            let code = (0..<experts).map { Float(($0 >> (codeLength - 1 - b)) & 1) }
            let offset = Tensor(shape: [1, 1, experts], scalars: code.map { 1 - $0 })
            let slope = Tensor(shape: [1, 1, experts], scalars: code.map { 2 * $0 - 1 })
            selected = selected * (offset + slope * steps.slice(axis: 3, range: b..<b + 1).reshaped([n, selectors, 1]))
        }
        let weights = softmax(selectorWeights[task]!(flat, context), axis: 1).reshaped([n, selectors, 1])
        return (weights * selected).sum(axes: [1])
    }

    /// The cubic smooth step with γ = 1 (LibMTL's `_smooth_step_fun` default).
    static func smoothStep(_ t: Tensor, gamma: Float = 1) -> Tensor {
        let clipped = t.clamped(minimum: -gamma / 2, maximum: gamma / 2)
        return clipped * clipped * clipped * (-2 / (gamma * gamma * gamma)) + clipped * (3 / (2 * gamma)) + 0.5
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        heads.head(task, representation, context)
    }

    public func isEncoderSideHeadParameter(_ name: String) -> Bool { heads.isArchitectureTaskParameter(name) }

    public func referenceName(of name: String) -> String? { heads.mixtureReferenceName(of: name, taskModules: ["_z_logits", "_w_logits"]) }
}
