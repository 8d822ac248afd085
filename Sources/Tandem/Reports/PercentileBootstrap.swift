import TandemCore

/// The percentile-bootstrap 95 % interval of a mean, seeded so that a report is the same bits on
/// every machine and in every order its rows are computed.
///
/// Draws `resamples` (10 000) samples of the same size with replacement, using Tandem's
/// `SeededGenerator` with seed `seed` (0) afresh for every interval — so every row and metric with
/// the same number of pairs is resampled with the same index sets — and returns the 251st smallest
/// and the 251st largest of the resampled means (2.5 % of them lie strictly beyond each end).
public struct PercentileBootstrap: Equatable, Sendable {
    public var resamples: Int
    public var seed: UInt64

    public init(resamples: Int = 10_000, seed: UInt64 = 0) {
        precondition(resamples >= 40, "a 95 % percentile interval needs at least 40 resamples")
        self.resamples = resamples
        self.seed = seed
    }

    /// The 95 % interval of the mean of `values`; `nil` for fewer than two values.
    public func interval(ofMeanOf values: [Double]) -> ClosedRange<Double>? {
        guard values.count >= 2 else { return nil }
        var generator = SeededGenerator(seed: seed)
        let count = UInt64(values.count)
        var means = [Double](repeating: 0, count: resamples)
        for resample in 0..<resamples {
            var sum = 0.0
            for _ in 0..<values.count {
                // The high word of a 64 × 64-bit product: a uniform index with a bias below count / 2⁶⁴.
                sum += values[Int(generator.next().multipliedFullWidth(by: count).high)]
            }
            means[resample] = sum / Double(values.count)
        }
        means.sort()
        let outside = resamples / 40   // 2.5 % of the resamples on each side
        return means[outside]...means[resamples - 1 - outside]
    }
}
