/// The per-task gradients g_t at the shared parameters, spread over the ranks for a Gramian
/// weighting (`StepContext.sharedParameterGram()`): no rank holds every g_t.
///
/// Each shared tensor k has an owner rank. Every rank backpropagates each h_t through its own
/// micro-batches and sends each owner its rows of that owner's tensors (one all-to-all). The
/// owner folds the S rows of g_t[k] in micro-batch order, exactly as `share`'s backward would,
/// and computes the products g_i[k]·g_j[k]. Every rank receives every tensor's products and
/// accumulates M in tensor order (`GramMatrix`); after the strategy's weights, each owner combines
/// its tensors, d[k] = Σ_t w_t g_t[k], and the ranks gather d. So M and d are the bits a single
/// process computes from the whole g_t. Each rank receives about S·T·P/N values, T×T products per
/// tensor and P values of d, instead of every rank receiving S·T·P.
struct DistributedTaskGradients {
    let group: ProcessGroup
    /// The shared tensors' names and shapes, in parameter order.
    let names: [String]
    let shapes: [[Int]]
    /// The rank that owns each tensor.
    let owners: [Int]
    /// g_t[k] for this rank's tensors: `gradients[t][k]`.
    let gradients: [[Int: Tensor]]
    let gram: [[Double]]

    /// Tensor k to the rank with the fewest values so far (ties: the lower rank), in order.
    static func owners(of counts: [Int], ranks: Int) -> [Int] {
        var load = [Int](repeating: 0, count: ranks)
        return counts.map { count in
            let rank = load.indices.min { load[$0] < load[$1] }!
            load[rank] += count
            return rank
        }
    }

    /// `rows[t][k]`: this rank's micro-batch rows of task t's gradient for shared tensor k (a
    /// stack of `rowCounts[group.rank]` rows); `rowCounts`: every rank's micro-batch count.
    init(rows: [[Tensor]], rowCounts: [Int], names: [String], shapes: [[Int]], group: ProcessGroup) {
        self.group = group
        self.names = names
        self.shapes = shapes
        let sizes = shapes.map(Shape.count)
        let owners = DistributedTaskGradients.owners(of: sizes, ranks: group.size), rank = group.rank
        self.owners = owners
        let mine = names.indices.filter { owners[$0] == rank }

        var outgoing = [[Float]](repeating: [], count: group.size)
        for taskRows in rows {
            for (k, stacked) in taskRows.enumerated() { outgoing[owners[k]] += stacked.scalars }
        }
        let incoming = group.allToAll(outgoing)
        var gradients = [[Int: Tensor]](repeating: [:], count: rows.count)
        var cursors = [Int](repeating: 0, count: group.size)
        for task in rows.indices {
            for k in mine {
                let width = sizes[k]
                var folded = [Float](repeating: 0, count: width)
                var first = true
                for rank in 0..<group.size {
                    for _ in 0..<rowCounts[rank] {
                        let start = cursors[rank]
                        incoming[rank].withUnsafeBufferPointer { values in
                            if first {
                                for index in 0..<width { folded[index] = values[start + index] }
                            } else {
                                for index in 0..<width { folded[index] += values[start + index] }
                            }
                        }
                        first = false
                        cursors[rank] += width
                    }
                }
                gradients[task][k] = Tensor(shape: shapes[k], scalars: folded)
            }
        }
        self.gradients = gradients

        var products: [Double] = []
        for k in mine { products += GramMatrix.products(gradients.map { $0[k]! }) }
        let everyones = group.allGather(products)
        var gram = [[Double]](repeating: [Double](repeating: 0, count: rows.count), count: rows.count)
        var productCursors = [Int](repeating: 0, count: group.size)
        let perTensor = rows.count * (rows.count + 1) / 2
        for k in names.indices {
            let rank = owners[k], start = productCursors[rank]
            GramMatrix.accumulate(&gram, products: Array(everyones[rank][start..<(start + perTensor)]))
            productCursors[rank] += perTensor
        }
        self.gram = gram
    }

    /// d = ((g_0·w_0) + g_1·w_1) + … tensor by tensor — the trainer's combination of whole
    /// per-task gradients — each tensor by its owner, gathered.
    func combination(_ weights: [Float]) -> Parameters {
        var mine: [Float] = []
        for k in names.indices where owners[k] == group.rank {
            var direction = gradients[0][k]! * weights[0]
            for task in gradients.indices.dropFirst() { direction = direction + gradients[task][k]! * weights[task] }
            mine += direction.scalars
        }
        let everyones = group.allGather(mine)
        var cursors = [Int](repeating: 0, count: group.size)
        return Parameters(names.indices.map { k in
            let rank = owners[k], start = cursors[rank], count = Shape.count(shapes[k])
            cursors[rank] += count
            return (names[k], Tensor(shape: shapes[k], scalars: Array(everyones[rank][start..<(start + count)])))
        })
    }
}
