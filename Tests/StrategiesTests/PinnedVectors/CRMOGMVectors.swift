import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// CR-MOGM (TorchJD `CRMOGMWeighting`, α = 0.9) around UPGrad with TorchJD's numerics. Step 1
    /// on G3: λ = λ̂ (UPGrad's weights, 0.763510, 0.475915, 0.683929). Step 2 on diag(1, 2, ½) G3,
    /// whose UPGrad weights are λ̂ = (0.775953, 0.386839, 1.279416): λ = 0.9 λ_1 + 0.1 λ̂ =
    /// (0.764754, 0.467007, 0.743477), d = Σ λ_t s_t g_t (TorchJD 0.18.0 gives the same).
    static let crMOGM: [PinnedVector] = [
        PinnedVector("cr-mogm", "UPGrad's weights smoothed over two steps (α = 0.9)") {
            let inner: OptionValue = .strategy(name: "upgrad", options: ["norm_eps": .number(1e-4), "reg_eps": .number(1e-4)])
            let strategy = try CRMOGM.make(["strategy": inner, "alpha": .number(0.9)], tasks: Spec.tasks(["t0", "t1", "t2"]))
            let first = try Spec.combine(strategy, Spec.g3, step: 0)
            expectClose(values(first.encoderWeights, ["t0", "t1", "t2"], "λ"), [0.76350980, 0.47591482, 0.68392861], "λ step 1")
            expectClose(first.direction, [0.15364448, 0.97704150, 0.84230483, -0.77808853], "d step 1")
            let scaled: [[Float]] = [Spec.g3[0], Spec.g3[1].map { 2 * $0 }, Spec.g3[2].map { 0.5 * $0 }]
            let second = try Spec.combine(strategy, scaled, step: 1)
            expectClose(values(second.encoderWeights, ["t0", "t1", "t2"], "λ"), [0.76475415, 0.46700723, 0.74347737], "λ step 2")
            expectClose(second.direction, [-0.91740542, 1.90591474, 0.44573044, -0.92337607], "d step 2")
        },
    ]
}
