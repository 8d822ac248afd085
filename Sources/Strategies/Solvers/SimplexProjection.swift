/// Euclidean projection onto the probability simplex `Δ = {w : w ≥ 0, Σ w = 1}` (Held, Wolfe &
/// Crowder 1974; the sort-based form of Duchi, Shalev-Shwartz, Singer & Chandra, ICML 2008):
/// sort descending, find the largest k with `u_k − (Σ_{i≤k} u_i − 1)/k > 0`, shift by that
/// threshold and clip at 0.
public enum SimplexProjection {
    /// The point of Δ nearest to `vector` (which must be non-empty and finite).
    public static func project(_ vector: [Double]) -> [Double] {
        precondition(!vector.isEmpty, "SimplexProjection.project: the vector must not be empty")
        let sorted = vector.sorted(by: >)
        var cumulative = 0.0, threshold = 0.0
        for (k, value) in sorted.enumerated() {
            cumulative += value
            let candidate = (cumulative - 1) / Double(k + 1)
            if value - candidate > 0 { threshold = candidate }
        }
        return vector.map { max($0 - threshold, 0) }
    }
}
