import CDNNL

/// A convolution and the max pooling after it (size×size windows, stride size, tiling the
/// convolution's output exactly) on oneDNN, with the convolution's output kept in the blocked
/// format its kernel writes (nChw8c, nChw16c) from the convolution to the pooling and back:
///
///     forward:  x ─conv─▶ y (blocked) ─max-pool─▶ p (blocked) ─reorder─▶ p (N×C×H×W)
///     backward: ∂p (N×C×H×W) ─reorder─▶ ∂p (blocked) ─max-pool′─▶ ∂y (blocked) ─conv′─▶ ∂x, ∂w
///
/// Unfused, y is reordered to N×C×H×W for Tandem's pooling and ∂y back for the convolution's
/// gradient kernels, each at y's size; here only the pooled tensors, a quarter of it for 2×2
/// windows, are reordered. The numbers are those of `conv2d` then `maxPool2d`: a reorder copies
/// values, a max-pooling picks one of its window's values (the first of equal ones in row-major
/// order, as Tandem's does) and its gradient puts ∂p there and zeros elsewhere.
///
/// **Determinism.** oneDNN's pooling kernels compute each output element on one thread; with
/// windows that do not overlap, every element of ∂y has one writer. The pooling runs with the
/// convolution's OpenMP thread count (`openMPThreads`).
extension OneDNNConvolution {
    /// What the forward pass leaves for the backward one: oneDNN's workspace (which element of
    /// each window won, in the pooled output's blocked format) and the block size.
    final class MaxPoolRecord: @unchecked Sendable {
        let workspace: TensorStorage
        let block: Int
        init(workspace: TensorStorage, block: Int) {
            self.workspace = workspace
            self.block = block
        }
    }

    /// A max pooling of an N×C×H×W activation (`shape`) in nChw{block}c, one pass.
    struct MaxPoolKey: Hashable {
        let shape: [Int]
        let size: Int
        let block: Int
        let backward: Bool

        var pooledShape: [Int] { [shape[0], shape[1], shape[2] / size, shape[3] / size] }
    }

    /// Created pooling primitives, and nil where oneDNN offers no JIT kernel.
    nonisolated(unsafe) private static var maxPools: [MaxPoolKey: Entry?] = [:]

    /// maxPool(conv(x, w) + bias) as N×O×(Ho/size)×(Wo/size), and the record its gradient
    /// needs; nil when the windows do not tile the output, the convolution's kernel does not
    /// write a blocked format, no oneDNN JIT kernel takes a pass, or Tandem's kernel computes the
    /// weight gradient (`prefersOneDNNWeightGradient`: it needs ∂L/∂y on N×C×H×W, so the
    /// blocked pooling saves no reorder; MultiLeNet's first layer under `portable`).
    static func forwardMaxPooled(_ x: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?,
                                 size: Int) -> (output: TensorStorage, record: MaxPoolRecord)? {
        guard size > 0, g.outputHeight % size == 0, g.outputWidth % size == 0, prefersOneDNNWeightGradient(g) else { return nil }
        omp_set_num_threads(openMPThreads(g))
        guard let convolution = primitive(Key(pass: .forward(bias: bias != nil), geometry: g)),
              let block = convolution.formats[DNNL_ARG_DST]?.block else { return nil }
        let key = MaxPoolKey(shape: g.outputShape, size: size, block: block, backward: false)
        guard let pool = maxPoolPrimitive(key),
              maxPoolPrimitive(MaxPoolKey(shape: g.outputShape, size: size, block: block, backward: true)) != nil
        else { return nil }
        let format = ActivationFormat.blocked(block), pooledShape = key.pooledShape
        let convolved = TensorStorage(count: g.batch * format.imageStride(channels: g.outputChannels, plane: g.outputPlane))
        var arguments = [Argument(DNNL_ARG_SRC, x.pointer), Argument(DNNL_ARG_WEIGHTS, w.pointer),
                         Argument(DNNL_ARG_DST, convolved.pointer, layout: .kernels, isOutput: true)]
        if let bias { arguments.append(Argument(DNNL_ARG_BIAS, bias.pointer)) }
        run(convolution, arguments)

        let pooled = TensorStorage(count: g.batch * format.imageStride(channels: g.outputChannels, plane: pooledShape[2] * pooledShape[3]))
        var workspaceFormat = pool.formats[DNNL_ARG_WORKSPACE]!.wanted
        let workspace = TensorStorage(count: max(1, (dnnl_memory_desc_get_size(&workspaceFormat) + 3) / 4))
        run(pool, [Argument(DNNL_ARG_SRC, convolved.pointer, layout: .kernels),
                   Argument(DNNL_ARG_DST, pooled.pointer, layout: .kernels, isOutput: true),
                   Argument(DNNL_ARG_WORKSPACE, workspace.pointer, layout: .kernels, isOutput: true)])
        let output = TensorStorage(count: Shape.count(pooledShape))
        reorder(pooled.pointer, descriptor(pooledShape, format), into: output.pointer, descriptor(pooledShape, .plain))
        return (output, MaxPoolRecord(workspace: workspace, block: block))
    }

    /// ∂L/∂x and ∂L/∂w (as asked) of `forwardMaxPooled`, from ∂L/∂p (N×C×H×W). ∂L/∂y stays in
    /// the blocked format for the convolution's gradient kernels that read it; for the others
    /// (a kernel reading another format, or Tandem's) it is reordered to N×C×H×W first.
    static func maxPooledGradients(_ x: Tensor, _ w: Tensor, _ dPooled: Tensor, _ g: ConvolutionGeometry, size: Int,
                                   record: MaxPoolRecord, input needsInput: Bool, weight needsWeight: Bool)
        -> (input: TensorStorage?, weight: TensorStorage?) {
        omp_set_num_threads(openMPThreads(g))
        let block = record.block, format = ActivationFormat.blocked(block)
        let key = MaxPoolKey(shape: g.outputShape, size: size, block: block, backward: true)
        guard let pool = maxPoolPrimitive(key) else { preconditionFailure("the max pooling's backward kernel was created with its forward one") }
        let pooledShape = key.pooledShape
        let blockedPooled = TensorStorage(count: g.batch * format.imageStride(channels: g.outputChannels, plane: pooledShape[2] * pooledShape[3]))
        reorder(dPooled.pointer, descriptor(pooledShape, .plain), into: blockedPooled.pointer, descriptor(pooledShape, format))
        let dy = TensorStorage(count: g.batch * format.imageStride(channels: g.outputChannels, plane: g.outputPlane))
        run(pool, [Argument(DNNL_ARG_DIFF_DST, blockedPooled.pointer, layout: .kernels),
                   Argument(DNNL_ARG_WORKSPACE, record.workspace.pointer, layout: .kernels),
                   Argument(DNNL_ARG_DIFF_SRC, dy.pointer, layout: .kernels, isOutput: true)])

        var plain: Tensor?
        /// ∂L/∂y on N×C×H×W, reordered once when a kernel needs it.
        func plainGradient() -> Tensor {
            if let plain { return plain }
            let storage = TensorStorage(count: Shape.count(g.outputShape))
            omp_set_num_threads(openMPThreads(g))
            reorder(dy.pointer, descriptor(g.outputShape, format), into: storage.pointer, descriptor(g.outputShape, .plain))
            plain = Tensor(shape: g.outputShape, storage: storage)
            return plain!
        }
        var input: TensorStorage?, weight: TensorStorage?
        if needsInput {
            omp_set_num_threads(openMPThreads(g))
            let readsBlocked = prefersOneDNNInputGradient(g)
                && primitive(Key(pass: .inputGradient, geometry: g))?.formats[DNNL_ARG_DIFF_DST]?.block == block
            input = (readsBlocked ? inputGradient(dy.pointer, format, w, g, bias: nil)?.storage : nil)
                ?? ConvolutionKernels.inputGradient(plainGradient(), w, g)
        }
        if needsWeight {
            let readsBlocked = prefersOneDNNWeightGradient(g)
                && weightGradientRuns(g)?.entries.values.allSatisfy({ $0.formats[DNNL_ARG_DIFF_DST]?.block == block }) == true
            weight = (readsBlocked ? weightGradient(x, dy.pointer, format, g) : nil)
                ?? ConvolutionKernels.weightGradient(x, plainGradient(), g)
        }
        return (input, weight)
    }

    private static func maxPoolPrimitive(_ key: MaxPoolKey) -> Entry? { cached(key, in: &maxPools, createMaxPool) }

    /// Creates `key`'s pass (the forward descriptor is the backward's hint) with a user
    /// scratchpad; nil when oneDNN's choice is not a JIT kernel.
    private static func createMaxPool(_ key: MaxPoolKey) -> Entry? {
        var source = descriptor(key.shape, .blocked(key.block)), destination = descriptor(key.pooledShape, .blocked(key.block))
        let window = dims([key.size, key.size]), none = dims([0, 0])
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "asking for a user scratchpad")
        var forward = dnnl_pooling_desc_t()
        check(dnnl_pooling_forward_desc_init(&forward, dnnl_forward_training, dnnl_pooling_max, &source, &destination,
                                             window, window, none, none), "describing the max pooling of \(key.shape)")
        var forwardDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&forwardDescriptor, &forward, attributes, engine, nil), "choosing a max-pooling kernel")
        defer { dnnl_primitive_desc_destroy(forwardDescriptor) }
        var chosen = forwardDescriptor!
        var backwardDescriptor: dnnl_primitive_desc_t?
        defer { if let backwardDescriptor { dnnl_primitive_desc_destroy(backwardDescriptor) } }
        if key.backward {
            var backward = dnnl_pooling_desc_t()
            check(dnnl_pooling_backward_desc_init(&backward, dnnl_pooling_max, &source, &destination, window, window, none, none),
                  "describing the max pooling's gradient of \(key.shape)")
            check(dnnl_primitive_desc_create(&backwardDescriptor, &backward, attributes, engine, forwardDescriptor),
                  "choosing a max-pooling gradient kernel")
            chosen = backwardDescriptor!
        }
        guard isJIT(chosen) else { return nil }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, chosen), "creating the max pooling of \(key.shape)")
        func format(_ descriptor: dnnl_memory_desc_t) -> ArgumentFormat {
            ArgumentFormat(wanted: descriptor, plain: descriptor, isPlain: false, block: key.block)
        }
        let workspace = format(dnnl_primitive_desc_query_md(chosen, dnnl_query_workspace_md, 0).pointee)
        let formats = key.backward
            ? [DNNL_ARG_DIFF_DST: format(destination), DNNL_ARG_DIFF_SRC: format(source), DNNL_ARG_WORKSPACE: workspace]
            : [DNNL_ARG_SRC: format(source), DNNL_ARG_DST: format(destination), DNNL_ARG_WORKSPACE: workspace]
        return Entry(primitive: primitive!, formats: formats,
                     scratchpad: dnnl_primitive_desc_query_md(chosen, dnnl_query_scratchpad_md, 0).pointee)
    }
}
