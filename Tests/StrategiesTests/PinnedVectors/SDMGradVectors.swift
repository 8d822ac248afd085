import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// SDMGrad (TorchJD `SDMGradWeighting` defaults: η = 10, μ = 0.5, 20 iterations, λ = 0.3) on G3;
    /// the harness draws the same batch three times, so A = M. Step 1 (TorchJD 0.18.0's output):
    /// w = (0, 0.03271, 0.96729). Step 2 reaches the vertex w = (0, 0, 1) (by hand: the weights
    /// are then (λ/3, λ/3, 1 + λ/3)/(1 + λ) = (1, 1, 11)/13).
    static let sdmGrad: [PinnedVector] = [
        PinnedVector("sdmgrad", "G3 two steps: (0.0769, 0.1021, 0.8210), then (1, 1, 11)/13") {
            let strategy = SDMGrad()
            let first = try Spec.combine(strategy, Spec.g3, step: 0)
            expectClose(values(first.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "w"),
                        [0.07692307692, 0.10208478732, 0.82099213575], "weights step 1")
            expectClose(first.direction, [0.28324957, -0.97555726, 1.61610359, -0.88461538], "d step 1")
            let second = try Spec.combine(strategy, Spec.g3, step: 1)
            expectClose(values(second.reports.mapValues(Float.init), ["weight.t0", "weight.t1", "weight.t2"], "w"),
                        [1.0 / 13, 1.0 / 13, 11.0 / 13], "weights step 2")
            expectClose(second.direction, [0.34615385, -1.03846154, 1.65384615, -0.88461538], "d step 2")
        },
    ]
}
