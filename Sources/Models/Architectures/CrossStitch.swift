import TandemCore

/// Cross-stitch networks (Misra et al., "Cross-stitch Networks for Multi-task Learning", CVPR
/// 2016), as LibMTL builds them around an encoder: one copy of the encoder per task, and between
/// consecutive stages a learned linear combination of the tasks' features,
///
///     h_t⁰ = stage₀⁽ᵗ⁾(stem⁽ᵗ⁾(x))
///     h_tⁱ = stageᵢ⁽ᵗ⁾(Σ_j α[i−1][t][j] · h_jⁱ⁻¹)      i = 1…S−1
///     z_t = h_t^{S−1}
///
/// with α (S × T × T, initialised to ones; its last slice is unused, as in LibMTL) the cross-stitch
/// units. `units: pairwise` is the paper's and LibMTL's repository's form; `units: per_source`
/// is LibMTL 1.1.5's (PyPI): α (S × T), the same combination Σ_j α[i−1][j] · h_jⁱ⁻¹ for every task.
///
/// **Shared**: everything in the encoder — every task's copy and α (LibMTL's `get_share_params()`
/// is the whole encoder). The encoder must end with its last stage (no tail).
public struct CrossStitch: MultiTaskModel, ReferenceStateDictionary {
    /// How the cross-stitch units are shaped.
    public enum Units: String, Sendable, CaseIterable {
        /// α[i][t][j]: task j's features into task t's (the paper; LibMTL's repository).
        case pairwise
        /// α[i][j]: one combination for every task (LibMTL 1.1.5 on PyPI).
        case perSource = "per_source"
    }

    let networks: TaskNetworks
    let units: Units

    public init(encoderModel: any StagedEncoderModel, units: Units = .pairwise) {
        networks = TaskNetworks(encoderModel: encoderModel, architecture: "Cross-stitch", mixingName: "cross_unit") { s, t in
            units == .pairwise ? [s, t, t] : [s, t]
        }
        self.units = units
    }

    public var taskNames: [String] { networks.tasks }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters { networks.initialParameters(generator: &generator) }

    public func initialBuffers() -> Parameters { networks.initialBuffers() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let α = networks.mixing(input, context), t = taskNames.count
        var features = networks.networks.map { $0.runStage(0, $0.runStem(input, context), context) }
        for i in 1..<networks.stageCount {
            features = (0..<t).map { task in
                let weights = (0..<t).map { j in
                    units == .pairwise ? α.slice(axis: 0, range: i - 1..<i).slice(axis: 1, range: task..<task + 1).slice(axis: 2, range: j..<j + 1)
                        : α.slice(axis: 0, range: i - 1..<i).slice(axis: 1, range: j..<j + 1)
                }
                return networks.networks[task].runStage(i, TaskNetworks.mix(features, weights: weights), context)
            }
        }
        return networks.heads.representation(features)
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        networks.heads.head(task, representation, context)
    }

    public func referenceName(of name: String) -> String? { networks.referenceName(of: name) }
}
