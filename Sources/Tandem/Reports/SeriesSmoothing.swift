/// Preparing long per-step series for plots: a centred moving average and even subsampling.
enum SeriesSmoothing {
    /// The mean of each value's window of `window` values centred on it (shorter at the ends).
    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        guard window > 1, values.count > 1 else { return values }
        var prefix = [0.0]
        prefix.reserveCapacity(values.count + 1)
        for value in values { prefix.append(prefix.last! + value) }
        let before = (window - 1) / 2, after = window - 1 - before
        return values.indices.map { index in
            let start = max(0, index - before), end = min(values.count, index + after + 1)
            return (prefix[end] - prefix[start]) / Double(end - start)
        }
    }

    /// At most `limit` points, evenly spaced over `points`, always keeping the first and last.
    static func subsample<Point>(_ points: [Point], limit: Int) -> [Point] {
        guard points.count > limit, limit >= 2 else { return points }
        return (0..<limit).map { points[Int((Double($0) * Double(points.count - 1) / Double(limit - 1)).rounded())] }
    }

    /// `points` (in step order) smoothed with a window of about a fiftieth of their count, then
    /// subsampled to at most `limit` points.
    static func prepared(_ points: [(x: Double, y: Double)], limit: Int = 400) -> [(x: Double, y: Double)] {
        let smoothed = movingAverage(points.map(\.y), window: max(1, points.count / 50))
        return subsample(Array(zip(points.map(\.x), smoothed)).map { (x: $0.0, y: $0.1) }, limit: limit)
    }
}
