import CBLAS

/// The raw loops behind `conv2d`, `transposedConv2d` and their gradients (Ops/Convolution.swift):
/// im2col + GEMM, with two layouts of the work.
///
/// * **Banded** (large layers: one image's GEMM has ≥ 4 M multiply-adds over ≥ 512 pixels). Each image's output
///   pixels are cut into bands of whole output rows; a band's columns (patch × band pixels) are
///   unfolded into a buffer private to the thread and multiplied straight away, while they are
///   still in the core's cache, writing the N×C×H×W output in place. Threads take (image, band)
///   tasks; each task runs one single-threaded GEMM over the full inner dimension, so an output
///   element's accumulation order does not depend on which thread ran it or on how many there are.
/// * **Grouped** (small layers and small planes). Several images share one GEMM so it stays wide
///   (≥ 1024 columns, more while the column buffer stays near the cache size); the GEMM is split
///   by `Gemm.multiply`.
///
/// Band and group boundaries depend only on the geometry, never on the thread count.
enum ConvolutionKernels {
    /// Floats of columns a band or group aims for (~1 MB: a core's L2).
    static let columnBudget = 1 << 18
    /// Fewest pixels in a band, so the GEMM's packing of the weight is amortised over enough columns.
    static let minimumBandPixels = 256

    /// Fewest pixels (columns) a grouped GEMM aims for: small planes are grouped until the GEMM
    /// is this wide, so the weight is packed once per ≥ 1024 columns, not once per image.
    static let minimumGroupPixels = 1024

    /// Whether the geometry takes the banded path: a large GEMM per image, over a plane with room
    /// for at least two bands of `minimumBandPixels`. (Deep layers with small planes and many
    /// channels are grouped instead, else the large weight would be packed again for every image.)
    static func isBanded(_ g: ConvolutionGeometry) -> Bool {
        g.outputChannels * g.outputPlane * g.patchSize >= 1 << 22 && g.outputPlane >= 2 * minimumBandPixels
    }

    /// Output rows per band (`budget`: Floats of columns per band; tests pass small ones).
    static func bandRows(_ g: ConvolutionGeometry, budget: Int = columnBudget) -> Int {
        let pixels = max(minimumBandPixels, budget / max(1, g.patchSize))
        return max(1, min(g.outputHeight, pixels / max(1, g.outputWidth)))
    }

    /// The output-row ranges of the bands of one image.
    static func bands(_ g: ConvolutionGeometry, budget: Int = columnBudget) -> [Range<Int>] {
        let rows = bandRows(g, budget: budget)
        return stride(from: 0, to: g.outputHeight, by: rows).map { $0..<min(g.outputHeight, $0 + rows) }
    }

    /// Images per GEMM on the grouped path.
    static func groupSize(_ g: ConvolutionGeometry) -> Int {
        let byBudget = columnBudget / max(1, g.patchSize * g.outputPlane)
        let byWidth = (minimumGroupPixels + g.outputPlane - 1) / max(1, g.outputPlane)
        return max(1, min(g.batch, max(byBudget, byWidth)))
    }

    /// Fixed split of a dimension of `count` into pieces for parallel work that must not share
    /// outputs: 2 pieces when there are at least 2 entries, else 1.
    static func pieces(_ count: Int) -> Int { count >= 2 ? 2 : 1 }

    // MARK: - Forward: y = conv(x, w) (+ bias)

    static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor? = nil) -> TensorStorage {
        forward(x, w, g, bias: bias, output: .standard).storage
    }

    /// y, left in the kernel's blocked format where `output` asks for it and oneDNN computes it.
    static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?,
                        output: OutputLayout) -> (storage: TensorStorage, format: ActivationFormat) {
        if ConvolutionBackend.current == .oneDNN, let out = OneDNNConvolution.forward(x, w, g, bias: bias, output: output) { return out }
        let out = TensorStorage(count: Shape.count(g.outputShape))
        forward(x.pointer, w.pointer, g, bias: bias?.pointer, into: out.pointer)
        return (out, .plain)
    }

    /// y = conv(x, w) (+ bias per output channel) into `out` (N×O×Ho×Wo).
    static func forward(_ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                        bias: UnsafeMutablePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        if isBanded(g) {
            forwardBanded(x, w, g, bias: bias, into: out)
        } else {
            forwardGrouped(x, w, g, bias: bias, into: out)
        }
    }

    static func forwardBanded(_ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                              bias: UnsafeMutablePointer<Float>?, into out: UnsafeMutablePointer<Float>,
                              budget: Int = columnBudget) {
        let bands = bands(g, budget: budget)
        let bandCapacity = g.patchSize * bandRows(g, budget: budget) * g.outputWidth
        let tasks = g.batch * bands.count
        let workers = min(Parallel.threadCount, tasks)
        let scratch = TensorStorage(count: workers * bandCapacity)
        Parallel.forEachWorker(tasks) { worker, range in
            let columns = scratch.pointer + worker * bandCapacity
            for task in range {
                let n = task / bands.count, rows = bands[task % bands.count]
                let pixels = rows.count * g.outputWidth, first = rows.lowerBound * g.outputWidth
                unfold(x + n * g.inputChannels * g.inputPlane, g, rows: rows, channels: 0..<g.inputChannels, into: columns)
                let target = out + n * g.outputChannels * g.outputPlane + first
                if let bias {
                    for o in 0..<g.outputChannels { (target + o * g.outputPlane).initialize(repeating: bias[o], count: pixels) }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.outputChannels), Int32(pixels), Int32(g.patchSize),
                            1, w, Int32(g.patchSize), columns, Int32(pixels), bias == nil ? 0 : 1, target, Int32(g.outputPlane))
            }
        }
    }

    static func forwardGrouped(_ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                               bias: UnsafeMutablePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let group = groupSize(g)
        let columns = TensorStorage(count: g.patchSize * group * g.outputPlane)
        let product = TensorStorage(count: g.outputChannels * group * g.outputPlane)
        var start = 0
        while start < g.batch {
            let count = min(group, g.batch - start)
            let width = count * g.outputPlane
            im2col(x, g, images: start..<(start + count), into: columns.pointer)
            Gemm.multiply(w, false, columns.pointer, false, into: product.pointer,
                          m: g.outputChannels, n: width, k: g.patchSize, leadingA: g.patchSize, leadingB: width)
            // product is O × (images·plane); the output wants images × O × plane (bias added on the way).
            let first = start, plane = g.outputPlane
            Parallel.forEachChunk(count * g.outputChannels, minimumPerChunk: max(1, 16_384 / max(1, plane))) { planes in
                for p in planes {
                    let b = p / g.outputChannels, o = p % g.outputChannels
                    let target = out + ((first + b) * g.outputChannels + o) * plane
                    let source = product.pointer + o * width + b * plane
                    let value = bias?[o] ?? 0
                    for i in 0..<plane { target[i] = source[i] + value }
                }
            }
            start += count
        }
    }

    // MARK: - Input gradient: dx = convᵀ(dy, w) (+ bias), also the transposed convolution's forward

    /// Whether the input gradient of this convolution is computed as an ordinary convolution of dy
    /// with the flipped, channel-swapped weight: stride 1, square kernel and "same"-style padding
    /// p = (k−1)/2 (then it does exactly the multiply-adds of GEMM + col2im, in one long-K GEMM
    /// with no scattered col2im pass; measured 15–33 % faster on 3×3 layers).
    static func usesFlippedInputGradient(_ g: ConvolutionGeometry) -> Bool {
        g.stride == 1 && g.kernelHeight == g.kernelWidth && g.padding == (g.kernelHeight - 1) / 2
    }

    /// w'[c, o, i, j] = w[o, c, k−1−i, k−1−j] (C×O×k×k) for an O×C×k×k weight.
    static func flippedWeight(_ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry) -> TensorStorage {
        let (o, c, kh, kw) = (g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth)
        let flipped = TensorStorage(count: o * c * kh * kw)
        let target = flipped.pointer
        for oc in 0..<o {
            for ic in 0..<c {
                let source = w + (oc * c + ic) * kh * kw
                let destination = target + (ic * o + oc) * kh * kw
                for i in 0..<kh {
                    for j in 0..<kw { destination[i * kw + j] = source[(kh - 1 - i) * kw + (kw - 1 - j)] }
                }
            }
        }
        return flipped
    }

    static func inputGradient(_ dy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor? = nil) -> TensorStorage {
        inputGradient(dy, w, g, bias: bias, output: .standard).storage
    }

    /// dx, left in the kernel's blocked format where `output` asks for it and oneDNN computes it.
    static func inputGradient(_ dy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?,
                              output: OutputLayout) -> (storage: TensorStorage, format: ActivationFormat) {
        if ConvolutionBackend.current == .oneDNN,
           let out = OneDNNConvolution.inputGradient(dy, w, g, bias: bias, output: output) { return out }
        let out = TensorStorage(count: Shape.count(g.inputShape))
        if usesFlippedInputGradient(g) {
            // dx = conv(dy, w') with padding k−1−p: the roles of input and output swap.
            let flipped = flippedWeight(w.pointer, g)
            let swapped = ConvolutionGeometry(batch: g.batch, inputChannels: g.outputChannels, inputHeight: g.outputHeight,
                                              inputWidth: g.outputWidth, outputChannels: g.inputChannels,
                                              kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, stride: 1,
                                              padding: g.kernelHeight - 1 - g.padding,
                                              outputHeight: g.inputHeight, outputWidth: g.inputWidth)
            forward(dy.pointer, flipped.pointer, swapped, bias: bias?.pointer, into: out.pointer)
            return (out, .plain)
        }
        if isBanded(g) {
            inputGradientBanded(dy.pointer, w.pointer, g, into: out.pointer)
        } else {
            inputGradientGrouped(dy.pointer, w.pointer, g, into: out.pointer)
        }
        if let bias {
            addChannelBias(bias.pointer, to: out.pointer, images: g.batch, channels: g.inputChannels, plane: g.inputPlane)
        }
        return (out, .plain)
    }

    /// Tasks are (image, channel piece): a task folds only its own channels' planes, so tasks never
    /// write the same element; within a task the bands are folded in order.
    static func inputGradientBanded(_ dy: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                                    into out: UnsafeMutablePointer<Float>,
                                    budget: Int = columnBudget) {
        let bands = bands(g, budget: budget)
        let kernelArea = g.kernelHeight * g.kernelWidth
        let channelPieces = pieces(g.inputChannels)
        let bandCapacity = g.patchSize * bandRows(g, budget: budget) * g.outputWidth
        let tasks = g.batch * channelPieces
        let workers = min(Parallel.threadCount, tasks)
        let scratch = TensorStorage(count: workers * bandCapacity)
        Parallel.forEachWorker(tasks) { worker, range in
            let columns = scratch.pointer + worker * bandCapacity
            for task in range {
                let n = task / channelPieces
                let channels = Parallel.chunkRange(task % channelPieces, of: channelPieces, count: g.inputChannels)
                let image = out + n * g.inputChannels * g.inputPlane
                (image + channels.lowerBound * g.inputPlane).initialize(repeating: 0, count: channels.count * g.inputPlane)
                for rows in bands {
                    let pixels = rows.count * g.outputWidth
                    // columns (channels·k·k × pixels) = w[:, channels]ᵀ · dy[n][:, band]
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(channels.count * kernelArea), Int32(pixels),
                                Int32(g.outputChannels), 1, w + channels.lowerBound * kernelArea, Int32(g.patchSize),
                                dy + n * g.outputChannels * g.outputPlane + rows.lowerBound * g.outputWidth, Int32(g.outputPlane),
                                0, columns, Int32(pixels))
                    fold(columns, g, rows: rows, channels: channels, into: image)
                }
            }
        }
    }

    static func inputGradientGrouped(_ dy: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                                     into out: UnsafeMutablePointer<Float>) {
        let group = groupSize(g)
        let columns = TensorStorage(count: g.patchSize * group * g.outputPlane)
        let gathered = TensorStorage(count: g.outputChannels * group * g.outputPlane)
        var start = 0
        while start < g.batch {
            let count = min(group, g.batch - start)
            let width = count * g.outputPlane
            gatherOutputs(dy, g, images: start..<(start + count), into: gathered.pointer)
            Gemm.multiply(w, true, gathered.pointer, false, into: columns.pointer,
                          m: g.patchSize, n: width, k: g.outputChannels, leadingA: g.patchSize, leadingB: width)
            col2im(columns.pointer, g, images: start..<(start + count), into: out)
            start += count
        }
    }

    /// out[n, c, ·] += bias[c] for `images` images of `channels` planes.
    static func addChannelBias(_ bias: UnsafeMutablePointer<Float>, to out: UnsafeMutablePointer<Float>, images: Int,
                               channels: Int, plane: Int) {
        Parallel.forEachChunk(images * channels, minimumPerChunk: max(1, 32_768 / max(1, plane))) { planes in
            for p in planes {
                let value = bias[p % channels], target = out + p * plane
                for i in 0..<plane { target[i] += value }
            }
        }
    }

    // MARK: - Weight gradient: dw = Σ_n dy_n · columns(x_n)ᵀ

    /// ∂L/∂x and ∂L/∂w of one convolution from the same ∂L/∂y (on oneDNN, ∂L/∂y is reordered
    /// once for both); the numbers of `inputGradient` and `weightGradient`.
    /// ∂L/∂x is left in the kernel's blocked format where `output` asks for it and oneDNN computes it.
    static func gradients(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvolutionGeometry, output: OutputLayout = .standard)
        -> (input: TensorStorage, inputFormat: ActivationFormat, weight: TensorStorage) {
        if ConvolutionBackend.current == .oneDNN, let all = OneDNNConvolution.gradients(x, w, dy, g, output: output) { return all }
        let input = inputGradient(dy, w, g, bias: nil, output: output)
        return (input.storage, input.format, weightGradient(x, dy, g))
    }

    static func weightGradient(_ x: Tensor, _ dy: Tensor, _ g: ConvolutionGeometry) -> TensorStorage {
        if ConvolutionBackend.current == .oneDNN, let out = OneDNNConvolution.weightGradient(x, dy, g) { return out }
        let out = TensorStorage(count: Shape.count(g.weightShape))
        if isBanded(g) {
            weightGradientBanded(x.pointer, dy.pointer, g, into: out.pointer)
        } else {
            weightGradientGrouped(x.pointer, dy.pointer, g, into: out.pointer)
        }
        return out
    }

    /// Tasks are pieces of the weight: by input channel (each task unfolds only its channels' rows
    /// of the columns) or, for one input channel, by output channel. Each task accumulates its
    /// block of dw over images and bands in a fixed order.
    static func weightGradientBanded(_ x: UnsafeMutablePointer<Float>, _ dy: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                                     into out: UnsafeMutablePointer<Float>,
                                     budget: Int = columnBudget) {
        let bands = bands(g, budget: budget)
        let kernelArea = g.kernelHeight * g.kernelWidth
        let byInput = g.inputChannels >= 2
        let weightPieces = pieces(byInput ? g.inputChannels : g.outputChannels)
        let bandCapacity = g.patchSize * bandRows(g, budget: budget) * g.outputWidth
        let workers = min(Parallel.threadCount, weightPieces)
        let scratch = TensorStorage(count: workers * bandCapacity)
        Parallel.forEachWorker(weightPieces) { worker, range in
            let columns = scratch.pointer + worker * bandCapacity
            for piece in range {
                let channels = byInput ? Parallel.chunkRange(piece, of: weightPieces, count: g.inputChannels) : 0..<g.inputChannels
                let outputs = byInput ? 0..<g.outputChannels : Parallel.chunkRange(piece, of: weightPieces, count: g.outputChannels)
                let target = out + outputs.lowerBound * g.patchSize + channels.lowerBound * kernelArea
                var first = true
                for n in 0..<g.batch {
                    for rows in bands {
                        let pixels = rows.count * g.outputWidth
                        unfold(x + n * g.inputChannels * g.inputPlane, g, rows: rows, channels: channels, into: columns)
                        // dw[outputs, channels] (+)= dy[n][outputs, band] · columns[channels, band]ᵀ
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outputs.count), Int32(channels.count * kernelArea),
                                    Int32(pixels), 1,
                                    dy + (n * g.outputChannels + outputs.lowerBound) * g.outputPlane + rows.lowerBound * g.outputWidth,
                                    Int32(g.outputPlane), columns, Int32(pixels), first ? 0 : 1, target, Int32(g.patchSize))
                        first = false
                    }
                }
            }
        }
    }

    static func weightGradientGrouped(_ x: UnsafeMutablePointer<Float>, _ dy: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
                                      into out: UnsafeMutablePointer<Float>) {
        let group = groupSize(g)
        let columns = TensorStorage(count: g.patchSize * group * g.outputPlane)
        let gathered = TensorStorage(count: g.outputChannels * group * g.outputPlane)
        var start = 0
        while start < g.batch {
            let count = min(group, g.batch - start)
            let width = count * g.outputPlane
            im2col(x, g, images: start..<(start + count), into: columns.pointer)
            gatherOutputs(dy, g, images: start..<(start + count), into: gathered.pointer)
            Gemm.multiply(gathered.pointer, false, columns.pointer, true, into: out,
                          m: g.outputChannels, n: g.patchSize, k: width, leadingA: width, leadingB: width,
                          accumulate: start > 0)
            start += count
        }
    }

    // MARK: - Layout helpers

    /// dy (images × O × plane) → O × (images·plane).
    static func gatherOutputs(_ dy: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, images: Range<Int>,
                              into target: UnsafeMutablePointer<Float>) {
        let width = images.count * g.outputPlane
        Parallel.forEachChunk(images.count * g.outputChannels, minimumPerChunk: max(1, 16_384 / max(1, g.outputPlane))) { planes in
            for p in planes {
                let b = p / g.outputChannels, o = p % g.outputChannels
                (target + o * width + b * g.outputPlane).update(from: dy + ((images.lowerBound + b) * g.outputChannels + o) * g.outputPlane,
                                                                count: g.outputPlane)
            }
        }
    }

    /// Unfolds patches of `images` into columns: row (c, ki, kj), column (image, oh, ow).
    static func im2col(_ x: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, images: Range<Int>,
                       into columns: UnsafeMutablePointer<Float>) {
        let width = images.count * g.outputPlane
        let kernelArea = g.kernelHeight * g.kernelWidth
        let tasks = images.count * g.inputChannels
        Parallel.forEachChunk(tasks, minimumPerChunk: max(1, 8192 / max(1, kernelArea * g.outputPlane))) { range in
            for task in range {
                let b = task / g.inputChannels, c = task % g.inputChannels
                let image = x + (images.lowerBound + b) * g.inputChannels * g.inputPlane
                unfold(image, g, rows: 0..<g.outputHeight, channels: c..<(c + 1),
                       into: columns + c * kernelArea * width + b * g.outputPlane, leading: width)
            }
        }
    }

    /// Folds columns back into images, summing overlaps (adjoint of im2col). Each (image, channel)
    /// plane is written by one task, in a fixed order.
    static func col2im(_ columns: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, images: Range<Int>,
                       into x: UnsafeMutablePointer<Float>) {
        let width = images.count * g.outputPlane
        let kernelArea = g.kernelHeight * g.kernelWidth
        let tasks = images.count * g.inputChannels
        Parallel.forEachChunk(tasks, minimumPerChunk: max(1, 8192 / max(1, kernelArea * g.outputPlane))) { range in
            for task in range {
                let b = task / g.inputChannels, c = task % g.inputChannels
                let image = x + (images.lowerBound + b) * g.inputChannels * g.inputPlane
                (image + c * g.inputPlane).initialize(repeating: 0, count: g.inputPlane)
                fold(columns + c * kernelArea * width + b * g.outputPlane, g, rows: 0..<g.outputHeight, channels: c..<(c + 1),
                     into: image, leading: width)
            }
        }
    }

    /// Unfolds output rows `rows` of one image (`image` = its first channel) for input channels
    /// `channels` into `columns`: row ((c − c₀)·kh + ki)·kw + kj, column (oh − r₀)·Wo + ow, rows
    /// `leading` apart (default: the band's pixel count).
    static func unfold(_ image: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, rows: Range<Int>, channels: Range<Int>,
                       into columns: UnsafeMutablePointer<Float>, leading: Int? = nil) {
        let ld = leading ?? rows.count * g.outputWidth
        let outW = g.outputWidth, inW = g.inputWidth
        for c in channels {
            let plane = image + c * g.inputPlane
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = ((c - channels.lowerBound) * g.kernelHeight + ki) * g.kernelWidth + kj
                    let target = columns + row * ld
                    // Output columns whose input column is inside the image (same for every row).
                    let offset = kj - g.padding
                    let first = g.stride == 1 ? min(outW, max(0, -offset)) : 0
                    let last = g.stride == 1 ? max(first, min(outW, inW - offset)) : outW
                    for oh in rows {
                        let line = target + (oh - rows.lowerBound) * outW
                        let ih = oh * g.stride - g.padding + ki
                        if ih < 0 || ih >= g.inputHeight {
                            for ow in 0..<outW { line[ow] = 0 }
                            continue
                        }
                        let source = plane + ih * inW
                        if g.stride == 1 {
                            for ow in 0..<first { line[ow] = 0 }
                            let shifted = source + offset
                            for ow in first..<last { line[ow] = shifted[ow] }
                            for ow in last..<outW { line[ow] = 0 }
                        } else {
                            for ow in 0..<outW {
                                let iw = ow * g.stride - g.padding + kj
                                line[ow] = (iw >= 0 && iw < inW) ? source[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds columns laid out as `unfold` writes them back into the image's planes (the adjoint
    /// of `unfold`): for each channel, kernel offset and output row in a fixed order.
    static func fold(_ columns: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, rows: Range<Int>, channels: Range<Int>,
                     into image: UnsafeMutablePointer<Float>, leading: Int? = nil) {
        let ld = leading ?? rows.count * g.outputWidth
        let outW = g.outputWidth, inW = g.inputWidth
        for c in channels {
            let plane = image + c * g.inputPlane
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = ((c - channels.lowerBound) * g.kernelHeight + ki) * g.kernelWidth + kj
                    let source = columns + row * ld
                    let offset = kj - g.padding
                    let first = min(outW, max(0, -offset)), last = max(first, min(outW, inW - offset))
                    for oh in rows {
                        let ih = oh * g.stride - g.padding + ki
                        if ih < 0 || ih >= g.inputHeight { continue }
                        let line = source + (oh - rows.lowerBound) * outW
                        let target = plane + ih * inW
                        if g.stride == 1 {
                            let shifted = target + offset
                            for ow in first..<last { shifted[ow] += line[ow] }
                        } else {
                            for ow in 0..<outW {
                                let iw = ow * g.stride - g.padding + kj
                                if iw >= 0 && iw < inW { target[iw] += line[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}
