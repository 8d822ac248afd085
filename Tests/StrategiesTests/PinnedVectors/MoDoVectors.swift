import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// MoDo (TorchJD `MoDoWeighting` defaults γ = 0.1, ρ = 0.1) on G3; the harness draws the same
    /// batch three times, so A = M. By hand: Mλ + ρλ at λ = 1/3 is (0.11667, 1.61667, 0.7); the
    /// step gives (0.321667, 0.171667, 0.263333), and the simplex projection adds 0.081111 to each:
    /// λ = (29/72, 91/360, 31/90). Step 2 is TorchJD 0.18.0's output.
    static let moDo: [PinnedVector] = [
        PinnedVector("modo", "G3 two steps: λ = (29/72, 91/360, 31/90), then (0.41419, 0.21944, 0.36637)") {
            let strategy = MoDo()
            let first = try Spec.combine(strategy, Spec.g3, step: 0)
            expectClose(values(first.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "λ"),
                        [29.0 / 72, 91.0 / 360, 31.0 / 90], "λ step 1")
            expectClose(first.direction, [0.06944444, 0.54166667, 0.4125, -0.39583333], "d step 1")
            let second = try Spec.combine(strategy, Spec.g3, step: 1)
            expectClose(values(second.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "λ"),
                        [0.41418981, 0.21943981, 0.36637037], "λ step 2")
            expectClose(second.direction, [0.15849537, 0.49826389, 0.42827083, -0.37871528], "d step 2")
        },
    ]
}
