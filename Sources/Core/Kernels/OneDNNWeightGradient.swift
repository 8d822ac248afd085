import CDNNL

// The weight gradient on oneDNN, dw = Σ_n dy_n ⋆ x_n, with a partition Tandem fixes (oneDNN's
// own kernels split their reduction by thread count). The work is cut into runs, a function of the
// shape alone; each run is one oneDNN call on one thread (its primitive created with one OpenMP
// thread, so its partition is fixed), so the numbers never depend on the thread count:
//
// * runs of images (`weightGradientChunks`): each run's dw_k = Σ_{n ∈ run k} dy_n ⋆ x_n, the runs'
//   sums added in order, dw = ((dw_0 + dw_1) + dw_2) + …, in the kernel's blocked weight format,
//   then reordered to O×C×kh×kw once;
// * runs of output channels (`cutsOutputChannels`: few positions per weight, as in the deep
//   layers of a VGG at small planes): each run's rows dw[o₀..<o₁] = Σ_n dy_n[o₀..<o₁] ⋆ x_n over
//   the whole batch, reordered into their rows of O×C×kh×kw. No partial sums: with 24–96 positions
//   per weight and image, writing and adding one partial dw per image cost more than the
//   multiply-adds.

extension OneDNNConvolution {
    /// Whether oneDNN's weight-gradient kernel is the faster one for `g`, a function of the shape
    /// and of the instruction set oneDNN runs (so of the numerics policy and the CPU, like its
    /// bits). Not for an input of one channel on AVX2 kernels: for MultiLeNet's first layer the
    /// forward pass plus weight gradient took 13.6 ms with Tandem's kernel against 29.8 ms with
    /// oneDNN's AVX2 one (one thread; 15.9 against 19.0 on two), while oneDNN's AVX-512 kernel
    /// took 8.0 (5.3 on two).
    static func prefersOneDNNWeightGradient(_ g: ConvolutionGeometry) -> Bool { g.inputChannels > 1 || runsAVX512 }

    /// Floats of partial weight gradients one call may hold (16 MiB): large weights are cut into
    /// fewer runs, so the partial sums cost little memory.
    static let partialBudget = 1 << 22

    /// Runs of images the weight gradient's batch is cut into: one per image, at most
    /// `Parallel.maximumChunks`, and fewer for large weights (their chunks − 1 partial sums stay
    /// within `partialBudget`, but at least two runs) — a function of the shape alone, never of
    /// the thread count.
    static func weightGradientChunks(_ batch: Int, weights: Int) -> Int {
        max(1, min(batch, Parallel.maximumChunks, max(2, partialBudget / max(1, weights) + 1)))
    }

    /// Output channels per unit of a run of output channels: a multiple of both block sizes (8 and
    /// 16), so a run's channels of dy are whole blocks in every format and its rows of dw whole
    /// blocks of the kernel's weight format.
    static let outputChannelUnit = 16

    /// Positions per weight (batch × output plane) below which the weight gradient is cut into
    /// runs of output channels rather than images. SplitVGG-3's layers at batch 8 have 192 (4×6
    /// planes) to 49,152 (64×96).
    static let outputChannelRunPositions = 4096

    /// Whether `g`'s weight gradient is cut into runs of output channels: few positions per
    /// weight, and at least two units of `outputChannelUnit` channels, which divide O.
    static func cutsOutputChannels(_ g: ConvolutionGeometry) -> Bool {
        g.batch * g.outputPlane < outputChannelRunPositions
            && g.outputChannels >= 2 * outputChannelUnit && g.outputChannels % outputChannelUnit == 0
    }

    /// How a weight gradient is cut into runs, and the runs' kernels.
    struct WeightGradientRuns {
        /// What a run is a range of.
        enum Cut { case images, outputChannels }
        let cut: Cut
        let count: Int
        /// The kernels, by a run's length (at most two lengths, ⌊·/count⌋ and ⌈·/count⌉).
        let entries: [Int: Entry]
        /// How many images or output channels are cut.
        let total: Int
        let unit: Int

        /// Run `run`'s images or output channels.
        func range(_ run: Int) -> Range<Int> {
            let units = Parallel.chunkRange(run, of: count, count: total / unit)
            return units.lowerBound * unit..<units.upperBound * unit
        }
    }

    /// `g`'s runs, or nil when a run's shape has no JIT kernel.
    static func weightGradientRuns(_ g: ConvolutionGeometry) -> WeightGradientRuns? {
        let channels = cutsOutputChannels(g)
        let unit = channels ? outputChannelUnit : 1, total = channels ? g.outputChannels : g.batch
        let count = channels ? min(Parallel.maximumChunks, total / unit)
                             : weightGradientChunks(g.batch, weights: Shape.count(g.weightShape))
        omp_set_num_threads(1)
        var entries: [Int: Entry] = [:]
        for length in Set([total / unit / count * unit, (total / unit + count - 1) / count * unit]) {
            var part = g
            if channels { part.outputChannels = length } else { part.batch = length }
            guard let entry = primitive(Key(pass: .weightGradient, geometry: part)) else { return nil }
            entries[length] = entry
        }
        return WeightGradientRuns(cut: channels ? .outputChannels : .images, count: count, entries: entries, total: total, unit: unit)
    }

    /// dw (O×C×kh×kw) on oneDNN; nil when no oneDNN JIT kernel takes the shape or Tandem's is the
    /// faster (`prefersOneDNNWeightGradient`).
    static func weightGradient(_ x: Tensor, _ dy: Tensor, _ g: ConvolutionGeometry) -> TensorStorage? {
        guard prefersOneDNNWeightGradient(g) else { return nil }
        return weightGradient(x, dy.heldPointer, dy.format, g)
    }

    /// The same with dy's values at `dy`, held in `dyFormat`.
    static func weightGradient(_ x: Tensor, _ dy: UnsafeMutablePointer<Float>, _ dyFormat: ActivationFormat,
                               _ g: ConvolutionGeometry) -> TensorStorage? {
        guard let runs = weightGradientRuns(g) else { return nil }
        switch runs.cut {
        case .images: return weightGradientByImages(x, dy, dyFormat, g, runs)
        case .outputChannels: return weightGradientByOutputChannels(x, dy, dyFormat, g, runs)
        }
    }

    private static func weightGradientByImages(_ x: Tensor, _ dy: UnsafeMutablePointer<Float>, _ dyFormat: ActivationFormat,
                                               _ g: ConvolutionGeometry, _ runs: WeightGradientRuns) -> TensorStorage {
        let weightCount = Shape.count(g.weightShape), chunks = runs.count
        // Every run writes the first kernel's blocked weight format (another kernel's output is
        // reordered into it), so the partial sums are added there and reordered once.
        let first = runs.entries[runs.range(0).count]!.formats[DNNL_ARG_DIFF_WEIGHTS]!
        var blocked = first.wanted
        let blockedCount = (dnnl_memory_desc_get_size(&blocked) + 3) / 4
        let sumLayout = runs.entries.mapValues { equal($0.formats[DNNL_ARG_DIFF_WEIGHTS]!.wanted, blocked) ? Layout.kernels : .other(blocked) }
        let sums = TensorStorage(count: chunks * blockedCount)
        let inputImage = x.format.imageStride(channels: g.inputChannels, plane: g.inputPlane)
        let outputImage = dyFormat.imageStride(channels: g.outputChannels, plane: g.outputPlane)
        Parallel.forEach(chunks, inParallel: multiplyAdds(g) >= parallelWork) { chunk in
            // OpenMP's thread count is per calling thread: one for this run, on whichever thread runs it.
            omp_set_num_threads(1)
            let images = runs.range(chunk)
            let entry = runs.entries[images.count]!
            var part = g
            part.batch = images.count
            run(entry,
                [Argument(DNNL_ARG_SRC, x.heldPointer + images.lowerBound * inputImage,
                          layout: layout(x.format, as: DNNL_ARG_SRC, of: entry, part.inputShape)),
                 Argument(DNNL_ARG_DIFF_DST, dy + images.lowerBound * outputImage,
                          layout: layout(dyFormat, as: DNNL_ARG_DIFF_DST, of: entry, part.outputShape)),
                 Argument(DNNL_ARG_DIFF_WEIGHTS, sums.pointer + chunk * blockedCount, layout: sumLayout[images.count]!, isOutput: true)])
        }
        if chunks > 1 {
            let sum = sums.pointer
            Parallel.forEachChunk(blockedCount, minimumPerChunk: 16_384) { elements in
                for chunk in 1..<chunks {
                    let part = sum + chunk * blockedCount
                    for i in elements { sum[i] += part[i] }
                }
            }
        }
        omp_set_num_threads(openMPThreads(g))
        let out = TensorStorage(count: weightCount)
        reorder(sums.pointer, blocked, into: out.pointer, first.plain)
        return out
    }

    /// Each run's channels of dy are copied out (per image one span: a run is whole blocks of
    /// channels in every format), an N×C×H×W x is reordered once into the kernels' format when
    /// they read another, and each run's dw rows go straight into their place in O×C×kh×kw.
    private static func weightGradientByOutputChannels(_ x: Tensor, _ dy: UnsafeMutablePointer<Float>, _ dyFormat: ActivationFormat,
                                                       _ g: ConvolutionGeometry, _ runs: WeightGradientRuns) -> TensorStorage {
        let source = runs.entries.values.first!.formats[DNNL_ARG_SRC]!
        var reorderedX: TensorStorage?
        if !source.isPlain, case .plain = x.format {
            var wanted = source.wanted
            reorderedX = TensorStorage(count: (dnnl_memory_desc_get_size(&wanted) + 3) / 4)
            omp_set_num_threads(openMPThreads(g))
            reorder(x.heldPointer, source.plain, into: reorderedX!.pointer, source.wanted)
        }
        let out = TensorStorage(count: Shape.count(g.weightShape))
        let row = g.inputChannels * g.kernelHeight * g.kernelWidth, plane = g.outputPlane
        let dyImage = dyFormat.imageStride(channels: g.outputChannels, plane: plane)
        withExtendedLifetime(reorderedX) {
            Parallel.forEach(runs.count, inParallel: multiplyAdds(g) >= parallelWork) { index in
                omp_set_num_threads(1)
                let channels = runs.range(index)
                let entry = runs.entries[channels.count]!
                var part = g
                part.outputChannels = channels.count
                let runImage = channels.count * plane
                let slice = TensorStorage(count: g.batch * runImage)
                for image in 0..<g.batch {
                    (slice.pointer + image * runImage).update(from: dy + image * dyImage + channels.lowerBound * plane, count: runImage)
                }
                let xArgument = reorderedX.map { reordered in
                    equal(entry.formats[DNNL_ARG_SRC]!.wanted, source.wanted)
                        ? Argument(DNNL_ARG_SRC, reordered.pointer, layout: .kernels)
                        : Argument(DNNL_ARG_SRC, reordered.pointer, layout: .other(source.wanted))
                } ?? Argument(DNNL_ARG_SRC, x.heldPointer, layout: layout(x.format, as: DNNL_ARG_SRC, of: entry, g.inputShape))
                run(entry, [xArgument,
                            Argument(DNNL_ARG_DIFF_DST, slice.pointer, layout: layout(dyFormat, as: DNNL_ARG_DIFF_DST, of: entry, part.outputShape)),
                            Argument(DNNL_ARG_DIFF_WEIGHTS, out.pointer + channels.lowerBound * row, isOutput: true)])
                withExtendedLifetime(slice) {}
            }
        }
        return out
    }
}
