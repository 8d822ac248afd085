import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// PCD (TorchJD `PCD`) on G3 with t0 primary. At the first step the bias-corrected average is
    /// ‖g_i‖² itself, so g̃_i = g_i/√(‖g_i‖² + 1e-8) are the unit gradients; the direction, checked
    /// against TorchJD 0.18.0 and an independent SLSQP solve of the primal QP (both to 1e-8),
    /// gives each auxiliary task exactly τ of its normalised progress (active constraints).
    static let pcd: [PinnedVector] = [
        PinnedVector("pcd", "G3, t0 primary, τ = 0.02 and 0.5: both auxiliary constraints active") {
            let roles: [TaskRole] = [.primary, .auxiliary, .auxiliary]
            for (tau, expected) in [(0.02, [1.35227640, 1.82473872, 0.79968426, -0.67244497]),
                                    (0.5, [0.08055755, 1.01416210, 1.75891984, -1.45642944])] {
                let strategy = try PCD.make(["tau": .number(tau)], tasks: Spec.tasks(["t0", "t1", "t2"], roles: roles))
                expectClose(try Spec.combine(strategy, Spec.g3, roles: roles).direction, expected, "τ = \(tau)")
            }
        },
        PinnedVector("pcd", "anti-parallel auxiliary gradients: infeasible, d = g_primary; zero primary: d = 0") {
            let roles: [TaskRole] = [.primary, .auxiliary, .auxiliary]
            let tasks = Spec.tasks(["t0", "t1", "t2"], roles: roles)
            expectClose(try Spec.combine(try PCD.make([:], tasks: tasks), [[1, 1, 0], [0, 1, 0], [0, -1, 0]], roles: roles).direction, [1, 1, 0], "infeasible")
            expectClose(try Spec.combine(try PCD.make([:], tasks: tasks), [[0, 0, 0], [0, 1, 0], [1, 0, 0]], roles: roles).direction, [0, 0, 0], "g_p = 0")
        },
    ]
}
