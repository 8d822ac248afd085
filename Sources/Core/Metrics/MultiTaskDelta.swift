/// Δ_MTL, the average relative improvement of a multi-task model over single-task baselines
/// (Maninis et al. 2019; as used by Auto-λ, IAL and most MTL papers):
///
///     Δ_MTL = (1/T) Σ_i (−1)^{l_i} (M_i − S_i) / S_i
///
/// over the T metrics i named in the baseline, where M_i is the model's value, S_i the single-task
/// baseline's value (from an explicit single-task run — never the model at epoch 0) and l_i = 1 when
/// lower is better (errors), 0 when higher is better. Positive means better than single-task
/// learning; multiply by 100 for a percentage.
public enum MultiTaskDelta {
    /// Δ_MTL of `model` against `baseline` (metric name → value), with each metric's direction.
    /// Throws when a metric lacks a model value or a direction, or a baseline value is 0.
    public static func compute(model: [String: Double], baseline: [String: Double],
                               directions: [String: MetricDirection]) throws -> Double {
        guard !baseline.isEmpty else { throw MetricError("Δ_MTL needs at least one baseline metric") }
        var total = 0.0
        for (name, single) in baseline.sorted(by: { $0.key < $1.key }) {
            guard let value = model[name] else { throw MetricError("Δ_MTL: the model has no value for metric '\(name)'") }
            guard let direction = directions[name] else { throw MetricError("Δ_MTL: no direction given for metric '\(name)'") }
            guard single != 0, single.isFinite else {
                throw MetricError("Δ_MTL: the baseline value of '\(name)' is \(single); it must be finite and non-zero")
            }
            let relative = (value - single) / single
            total += direction == .lowerIsBetter ? -relative : relative
        }
        return total / Double(baseline.count)
    }

    /// Per-metric terms (−1)^{l_i} (M_i − S_i)/S_i, for reports.
    public static func terms(model: [String: Double], baseline: [String: Double],
                             directions: [String: MetricDirection]) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for name in baseline.keys {
            result[name] = try compute(model: [name: model[name] ?? .nan].filter { !$0.value.isNaN },
                                       baseline: [name: baseline[name]!], directions: directions)
        }
        return result
    }
}
