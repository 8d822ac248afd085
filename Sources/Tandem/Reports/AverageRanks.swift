/// Ranks with ties shared: 1 for the best value, and tied values all get the mean of the ranks
/// they span (`[0.9, 0.7, 0.7, 0.5]` higher-is-better gives `[1, 2.5, 2.5, 4]`).
public enum AverageRanks {
    /// The rank of each of `values`, in their order; `higherIsBetter` says which end is rank 1.
    public static func ranks(of values: [Double], higherIsBetter: Bool) -> [Double] {
        let order = values.indices.sorted { higherIsBetter ? values[$0] > values[$1] : values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            // Positions start…end (0-based) hold equal values: ranks start+1 … end+1, averaged.
            let shared = Double(start + end + 2) / 2
            for position in start...end { ranks[order[position]] = shared }
            start = end + 1
        }
        return ranks
    }
}
