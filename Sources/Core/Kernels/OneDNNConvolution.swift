import CDNNL
import Foundation

/// Convolutions through oneDNN (the library PyTorch runs its CPU convolutions on; Debian's
/// `libdnnl-dev` 2.6): the forward pass, the input gradient (which is also the transposed
/// convolution) and the weight gradient with oneDNN's direct JIT kernels, in the blocked memory
/// formats they choose. An activation already held in the kernel's format (`Tensor.format`, left
/// so by a previous convolution or batch norm asked for `OutputLayout.blocked`) is passed as it is;
/// one in N×C×H×W (or another block size) is reordered into it, and an output is reordered back
/// to N×C×H×W unless the caller asked to keep it blocked. A convolution followed by max pooling
/// keeps its output blocked through the pooling (OneDNNConvolutionMaxPool.swift).
///
/// **Determinism.** The forward and input-gradient kernels compute each output element in one
/// thread, so their results do not depend on the thread count (`OneDNNConvolutionTests` checks
/// 1 against 3 threads in child processes). oneDNN's weight-gradient kernels split their
/// reduction by thread count, so Tandem fixes the partition itself: runs of images or of output
/// channels, a function of the shape alone, each computed by oneDNN on one thread
/// (OneDNNWeightGradient.swift). The instruction set follows the numerics
/// policy: `portable` caps oneDNN at AVX2 (`dnnl_set_max_cpu_isa`), as it pins OpenBLAS's AVX2
/// kernels; `native` lets it use the CPU's best.
///
/// **Only oneDNN's JIT kernels run.** For shapes its direct and 1×1 JIT kernels decline, oneDNN
/// falls back to an im2col + GEMM convolution, whose forward pass cuts the input-channel sum by
/// the CPU's L2 size (other bits on another CPU) and whose backward passes split work by thread
/// count, or to a slow reference loop. Those shapes run on Tandem's kernels instead (the functions
/// return nil), so the contract above holds for every shape.
///
/// Primitives are cached by pass and shape (oneDNN's own primitive cache holds the JIT code,
/// Tandem's the descriptors); scratchpads and temporary blocked buffers come from Tandem's buffer
/// pool, like every tensor, so a step reuses them instead of growing the heap.
enum OneDNNConvolution {
    /// The CPU engine, created once (after the ISA cap).
    static let engine: dnnl_engine_t = {
        if NumericsPolicy.inEffect() == .portable { _ = dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2) }
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        return engine!
    }()

    /// oneDNN's version and the instruction set its kernels use, for provenance.
    static var description: String {
        let version = dnnl_version().pointee
        _ = engine
        let isa: String
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx2: isa = "AVX2"
        case dnnl_cpu_isa_avx512_core: isa = "AVX-512"
        default: isa = "ISA \(dnnl_get_effective_cpu_isa().rawValue)"
        }
        return "oneDNN \(version.major).\(version.minor).\(version.patch) \(isa)"
    }

    enum Pass: Hashable { case forward(bias: Bool), inputGradient, weightGradient }

    struct Key: Hashable {
        let pass: Pass
        let geometry: ConvolutionGeometry
    }

    /// How one argument of a primitive is laid out: in the format its kernel wants, and in
    /// Tandem's (N×C×H×W, O×C×kh×kw, or a vector for the bias), with the block size b when the
    /// kernel's is nChw{b}c.
    struct ArgumentFormat {
        let wanted: dnnl_memory_desc_t
        let plain: dnnl_memory_desc_t
        let isPlain: Bool
        let block: Int?
    }

    /// A created primitive (one of oneDNN's JIT kernels), its arguments' formats and its
    /// scratchpad, all described once when the primitive is created.
    final class Entry: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        let formats: [Int32: ArgumentFormat]
        let scratchpad: dnnl_memory_desc_t
        let scratchpadFloats: Int
        init(primitive: dnnl_primitive_t, formats: [Int32: ArgumentFormat], scratchpad: dnnl_memory_desc_t) {
            self.primitive = primitive
            self.formats = formats
            self.scratchpad = scratchpad
            var size = scratchpad
            scratchpadFloats = (dnnl_memory_desc_get_size(&size) + 3) / 4
        }
    }

    static let lock = NSLock()
    /// Created primitives, and nil for shapes no JIT kernel takes.
    nonisolated(unsafe) private static var cache: [Key: Entry?] = [:]

    /// y = conv(x, w) (+ bias), or nil when no oneDNN JIT kernel takes the shape. x may be held in
    /// any format; y is left in the kernel's blocked format when `output` asks for it and the
    /// kernel writes one, else on N×C×H×W.
    static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?,
                        output: OutputLayout = .standard) -> (storage: TensorStorage, format: ActivationFormat)? {
        omp_set_num_threads(openMPThreads(g))
        guard let entry = primitive(Key(pass: .forward(bias: bias != nil), geometry: g)) else { return nil }
        let format = outputFormat(output, entry.formats[DNNL_ARG_DST]!)
        let out = TensorStorage(count: format.storageCount(g.outputShape))
        var arguments = [Argument(DNNL_ARG_SRC, x.heldPointer, layout: layout(x.format, as: DNNL_ARG_SRC, of: entry, g.inputShape)),
                         Argument(DNNL_ARG_WEIGHTS, w.pointer),
                         Argument(DNNL_ARG_DST, out.pointer, layout: format == .plain ? .plain : .kernels, isOutput: true)]
        if let bias { arguments.append(Argument(DNNL_ARG_BIAS, bias.pointer)) }
        run(entry, arguments)
        return (out, format)
    }

    /// dx = convᵀ(dy, w) (+ bias over dx's channels: a transposed convolution's), or nil when no
    /// oneDNN JIT kernel takes the shape; dx blocked as `forward`'s y (never with a bias).
    static func inputGradient(_ dy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?,
                              output: OutputLayout = .standard) -> (storage: TensorStorage, format: ActivationFormat)? {
        inputGradient(dy.heldPointer, dy.format, w, g, bias: bias, output: output)
    }

    /// The same with dy's values at `dy`, held in `dyFormat`.
    static func inputGradient(_ dy: UnsafeMutablePointer<Float>, _ dyFormat: ActivationFormat, _ w: Tensor,
                              _ g: ConvolutionGeometry, bias: Tensor?,
                              output: OutputLayout = .standard) -> (storage: TensorStorage, format: ActivationFormat)? {
        guard prefersOneDNNInputGradient(g) else { return nil }
        omp_set_num_threads(openMPThreads(g))
        guard let entry = primitive(Key(pass: .inputGradient, geometry: g)) else { return nil }
        let format = bias == nil ? outputFormat(output, entry.formats[DNNL_ARG_DIFF_SRC]!) : .plain
        let out = TensorStorage(count: format.storageCount(g.inputShape))
        run(entry,
            [Argument(DNNL_ARG_DIFF_DST, dy, layout: layout(dyFormat, as: DNNL_ARG_DIFF_DST, of: entry, g.outputShape)),
             Argument(DNNL_ARG_WEIGHTS, w.pointer),
             Argument(DNNL_ARG_DIFF_SRC, out.pointer, layout: format == .plain ? .plain : .kernels, isOutput: true)])
        if let bias {
            ConvolutionKernels.addChannelBias(bias.pointer, to: out.pointer, images: g.batch, channels: g.inputChannels, plane: g.inputPlane)
        }
        return (out, format)
    }

    /// The format an output argument is left in: the kernel's blocked one when `output` asks for
    /// it (and blocked outputs are allowed), else N×C×H×W.
    static func outputFormat(_ output: OutputLayout, _ argument: ArgumentFormat) -> ActivationFormat {
        guard output == .blocked, OutputLayout.blockedOutputsAllowed, let block = argument.block else { return .plain }
        return .blocked(block)
    }

    /// How `entry` reads an activation of `shape` held in `format` as `argument`: as it is where it is
    /// N×C×H×W or already in the kernel's format, else reordered from its own blocked format.
    static func layout(_ format: ActivationFormat, as argument: Int32, of entry: Entry, _ shape: [Int]) -> Layout {
        switch format {
        case .plain: return .plain
        case .blocked(let block): return entry.formats[argument]!.block == block ? .kernels : .other(descriptor(shape, format))
        }
    }

    /// Multiply-adds below which a pass runs on the calling thread alone (one OpenMP thread, and
    /// the weight gradient's runs one after another): waking the other threads for a parallel
    /// region costs more than a second core saves on such a call. The quickstart's layers (8 to
    /// 32 channels at 32×32 down to 8×8, batch 8: at most 4.7 M multiply-adds) took a training step
    /// from ≈ 16 ms on one thread to ≈ 40 ms on two; with this line at 2²² it was ≈ 29 ms, at 2²⁴
    /// ≈ 20 ms, at 2²⁶ ≈ 22 ms (medians of five alternating rounds).
    /// The numbers do not depend on it: every output element is computed on one thread either way
    /// (`OneDNNConvolutionTests` checks that by running every pass both ways).
    nonisolated(unsafe) static var parallelWork = 1 << 24

    /// The multiply-adds of each of `g`'s passes (forward, input gradient, weight gradient).
    static func multiplyAdds(_ g: ConvolutionGeometry) -> Int {
        g.batch * g.outputChannels * g.inputChannels * g.kernelHeight * g.kernelWidth * g.outputPlane
    }

    /// OpenMP threads for a pass of `g`: `Parallel.threadCount`, or one below `parallelWork`.
    static func openMPThreads(_ g: ConvolutionGeometry) -> Int32 {
        multiplyAdds(g) < parallelWork ? 1 : Int32(Parallel.threadCount)
    }

    /// Whether oneDNN's input-gradient kernel is the faster one for `g`, a function of the shape
    /// alone. Not for an input of one channel: there Tandem's kernel took 5.4–6.3 ms against oneDNN's
    /// 12.1–14.9 ms for the forward pass plus input gradient of MultiLeNet's first layer
    /// (256×1×28×28, 10 filters of 5×5; oneDNN's forward pass alone, 1.2 ms, is its faster one).
    static func prefersOneDNNInputGradient(_ g: ConvolutionGeometry) -> Bool { g.inputChannels > 1 }

    /// Whether oneDNN's kernels use AVX-512 (`native` numerics on a CPU that has it).
    static let runsAVX512: Bool = {
        _ = engine
        let avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & avx512 == avx512
    }()

    /// ∂L/∂x and ∂L/∂w of one convolution, with ∂L/∂y reordered once into the blocked format both
    /// kernels read (instead of once for each; not at all when it is held there already); nil when
    /// the two kernels do not both run on oneDNN or do not read the same nChw8c/nChw16c format. The
    /// numbers are those of `inputGradient` and `weightGradient`: a reorder copies values. ∂L/∂x is
    /// left blocked as `inputGradient` leaves it for `output`.
    static func gradients(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvolutionGeometry, output: OutputLayout = .standard)
        -> (input: TensorStorage, inputFormat: ActivationFormat, weight: TensorStorage)? {
        omp_set_num_threads(openMPThreads(g))
        guard prefersOneDNNInputGradient(g), prefersOneDNNWeightGradient(g), let data = primitive(Key(pass: .inputGradient, geometry: g)),
              let dyFormat = data.formats[DNNL_ARG_DIFF_DST], let block = dyFormat.block,
              let entries = weightGradientRuns(g)?.entries, entries.values.allSatisfy({ $0.formats[DNNL_ARG_DIFF_DST]!.block == block })
        else { return nil }
        let format = ActivationFormat.blocked(block)
        var blocked: TensorStorage?
        if dy.format != format {
            blocked = TensorStorage(count: format.storageCount(g.outputShape))
            omp_set_num_threads(openMPThreads(g))
            reorder(dy.heldPointer, descriptor(g.outputShape, dy.format), into: blocked!.pointer, dyFormat.wanted)
        }
        return withExtendedLifetime((blocked, dy)) {
            let gradient = blocked?.pointer ?? dy.heldPointer
            guard let input = inputGradient(gradient, format, w, g, bias: nil, output: output),
                  let weight = weightGradient(x, gradient, format, g) else { return nil }
            return (input.storage, input.format, weight)
        }
    }

    // MARK: - Primitives

    static func primitive(_ key: Key) -> Entry? { cached(key, in: &cache, create) }

    /// `key`'s entry in `cache`, created (or found to be nil) once, under `lock`.
    static func cached<K: Hashable>(_ key: K, in cache: inout [K: Entry?], _ create: (K) -> Entry?) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        if let entry = cache[key] { return entry }
        let entry = create(key)
        cache[key] = .some(entry)
        return entry
    }

    /// Creates `key`'s primitive (the forward descriptor is also the backward passes' hint) with a
    /// scratchpad Tandem passes in, so that chunks can run it concurrently; nil when oneDNN's
    /// choice is not one of its JIT kernels.
    private static func create(_ key: Key) -> Entry? {
        let g = key.geometry
        var source = descriptor(g.inputShape, dnnl_format_tag_any), weights = descriptor(g.weightShape, dnnl_format_tag_any)
        var destination = descriptor(g.outputShape, dnnl_format_tag_any), bias = descriptor([g.outputChannels], dnnl_x)
        let strides = dims([g.stride, g.stride]), left = dims([g.padding, g.padding])
        // oneDNN wants the padding that makes its output size formula exact (floor division may drop rows).
        let right = dims([(g.outputHeight - 1) * g.stride + g.kernelHeight - g.inputHeight - g.padding,
                          (g.outputWidth - 1) * g.stride + g.kernelWidth - g.inputWidth - g.padding])
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "asking for a user scratchpad")

        var forward = dnnl_convolution_desc_t()
        let hasBias = key.pass == .forward(bias: true)
        let status = hasBias
            ? dnnl_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, &bias,
                                                 &destination, strides, left, right)
            : dnnl_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, nil,
                                                 &destination, strides, left, right)
        check(status, "describing \(g)")
        var forwardDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&forwardDescriptor, &forward, attributes, engine, nil), "choosing a forward kernel for \(g)")
        defer { dnnl_primitive_desc_destroy(forwardDescriptor) }

        var chosen = forwardDescriptor!, queries: [(Int32, dnnl_query_t)]
        var backwardDescriptor: dnnl_primitive_desc_t?
        defer { if let backwardDescriptor { dnnl_primitive_desc_destroy(backwardDescriptor) } }
        switch key.pass {
        case .forward:
            queries = [(DNNL_ARG_SRC, dnnl_query_src_md), (DNNL_ARG_WEIGHTS, dnnl_query_weights_md), (DNNL_ARG_DST, dnnl_query_dst_md)]
            if hasBias { queries.append((DNNL_ARG_BIAS, dnnl_query_weights_md)) }
        case .inputGradient:
            var backward = dnnl_convolution_desc_t()
            check(dnnl_convolution_backward_data_desc_init(&backward, dnnl_convolution_direct, &source, &weights, &destination,
                                                           strides, left, right), "describing the input gradient of \(g)")
            check(dnnl_primitive_desc_create(&backwardDescriptor, &backward, attributes, engine, forwardDescriptor),
                  "choosing an input-gradient kernel for \(g)")
            chosen = backwardDescriptor!
            queries = [(DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md), (DNNL_ARG_WEIGHTS, dnnl_query_weights_md),
                       (DNNL_ARG_DIFF_SRC, dnnl_query_diff_src_md)]
        case .weightGradient:
            var backward = dnnl_convolution_desc_t()
            check(dnnl_convolution_backward_weights_desc_init(&backward, dnnl_convolution_direct, &source, &weights, nil, &destination,
                                                              strides, left, right), "describing the weight gradient of \(g)")
            check(dnnl_primitive_desc_create(&backwardDescriptor, &backward, attributes, engine, forwardDescriptor),
                  "choosing a weight-gradient kernel for \(g)")
            chosen = backwardDescriptor!
            queries = [(DNNL_ARG_SRC, dnnl_query_src_md), (DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md),
                       (DNNL_ARG_DIFF_WEIGHTS, dnnl_query_diff_weights_md)]
        }
        guard isJIT(chosen) else { return nil }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, chosen), "creating the primitive for \(g)")
        var formats: [Int32: ArgumentFormat] = [:]
        for (argument, query) in queries {
            // The bias is the second "weights" of a forward convolution.
            let wanted = dnnl_primitive_desc_query_md(chosen, query, argument == DNNL_ARG_BIAS ? 1 : 0).pointee
            let plain: dnnl_memory_desc_t
            var block: Int?
            switch argument {
            case DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_WEIGHTS: plain = descriptor(g.weightShape, dnnl_oihw)
            case DNNL_ARG_BIAS: plain = descriptor([g.outputChannels], dnnl_x)
            default:
                let shape = [DNNL_ARG_SRC, DNNL_ARG_DIFF_SRC].contains(argument) ? g.inputShape : g.outputShape
                plain = descriptor(shape, .plain)
                block = [16, 8].first { equal(wanted, descriptor(shape, .blocked($0))) }
            }
            formats[argument] = ArgumentFormat(wanted: wanted, plain: plain, isPlain: equal(wanted, plain), block: block)
        }
        return Entry(primitive: primitive!, formats: formats,
                     scratchpad: dnnl_primitive_desc_query_md(chosen, dnnl_query_scratchpad_md, 0).pointee)
    }

    /// Whether oneDNN chose one of its JIT convolution kernels (`jit:avx2`, `jit_1x1:avx512_core`, …),
    /// not `gemm:jit` or `ref:any`.
    static func isJIT(_ descriptor: dnnl_primitive_desc_t) -> Bool {
        var name: UnsafePointer<CChar>?
        check(dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name), "asking for the kernel's name")
        return name.map { String(cString: $0).hasPrefix("jit") } ?? false
    }

    // MARK: - Execution

    /// Where an argument's buffer holds its values: in Tandem's layout, already in the kernel's
    /// format, or in another one.
    enum Layout {
        case plain
        case kernels
        case other(dnnl_memory_desc_t)
    }

    /// One argument of a primitive: Tandem's buffer and its layout.
    struct Argument {
        let argument: Int32
        let pointer: UnsafeMutablePointer<Float>
        let layout: Layout
        let isOutput: Bool
        init(_ argument: Int32, _ pointer: UnsafeMutablePointer<Float>, layout: Layout = .plain, isOutput: Bool = false) {
            self.argument = argument
            self.pointer = pointer
            self.layout = layout
            self.isOutput = isOutput
        }
    }

    /// Runs `entry` on Tandem's buffers, on a stream of its own and with OpenMP's thread count the
    /// caller set: reorders the inputs into the primitive's formats and its output back, through
    /// temporary buffers only where the formats differ.
    static func run(_ entry: Entry, _ arguments: [Argument]) {
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        defer { dnnl_stream_destroy(stream) }
        var created: [dnnl_memory_t] = [], temporaries: [TensorStorage] = []
        defer { for memory in created { dnnl_memory_destroy(memory) } }
        /// oneDNN memory over `pointer`, or over a temporary buffer from the pool when it is nil.
        func memory(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer?) -> dnnl_memory_t {
            var descriptor = descriptor
            var buffer = pointer
            if buffer == nil {
                let temporary = TensorStorage(count: max(1, (dnnl_memory_desc_get_size(&descriptor) + 3) / 4))
                temporaries.append(temporary)
                buffer = UnsafeMutableRawPointer(temporary.pointer)
            }
            var memory: dnnl_memory_t?
            check(dnnl_memory_create(&memory, &descriptor, engine, buffer), "creating memory")
            created.append(memory!)
            return memory!
        }
        var bound: [dnnl_exec_arg_t] = [], outputs: [(kernels: dnnl_memory_t, user: dnnl_memory_t, format: dnnl_memory_desc_t,
                                                        userFormat: dnnl_memory_desc_t)] = []
        for argument in arguments {
            let format = entry.formats[argument.argument]!
            let userFormat: dnnl_memory_desc_t
            switch argument.layout {
            case .kernels:
                bound.append(dnnl_exec_arg_t(arg: argument.argument, memory: memory(format.wanted, argument.pointer)))
                continue
            case .plain:
                if format.isPlain {
                    bound.append(dnnl_exec_arg_t(arg: argument.argument, memory: memory(format.plain, argument.pointer)))
                    continue
                }
                userFormat = format.plain
            case .other(let descriptor):
                userFormat = descriptor
            }
            let user = memory(userFormat, argument.pointer), kernels = memory(format.wanted, nil)
            if argument.isOutput {
                outputs.append((kernels, user, format.wanted, userFormat))
            } else {
                reorder(user, userFormat, into: kernels, format.wanted, stream: stream!)
            }
            bound.append(dnnl_exec_arg_t(arg: argument.argument, memory: kernels))
        }
        if entry.scratchpadFloats > 0 {
            bound.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory(entry.scratchpad, nil)))
        }
        check(dnnl_primitive_execute(entry.primitive, stream, Int32(bound.count), &bound), "running a convolution")
        check(dnnl_stream_wait(stream), "waiting for a convolution")
        for output in outputs {
            reorder(output.kernels, output.format, into: output.user, output.userFormat, stream: stream!)
        }
    }

    /// Copies `from` (laid out as `fromDescriptor`) into `to` (as `toDescriptor`), on a stream of its own.
    static func reorder(_ from: UnsafeMutablePointer<Float>, _ fromDescriptor: dnnl_memory_desc_t,
                                into to: UnsafeMutablePointer<Float>, _ toDescriptor: dnnl_memory_desc_t) {
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        defer { dnnl_stream_destroy(stream) }
        var source = fromDescriptor, target = toDescriptor
        var fromMemory: dnnl_memory_t?, toMemory: dnnl_memory_t?
        check(dnnl_memory_create(&fromMemory, &source, engine, UnsafeMutableRawPointer(from)), "creating memory")
        defer { dnnl_memory_destroy(fromMemory) }
        check(dnnl_memory_create(&toMemory, &target, engine, UnsafeMutableRawPointer(to)), "creating memory")
        defer { dnnl_memory_destroy(toMemory) }
        reorder(fromMemory!, fromDescriptor, into: toMemory!, toDescriptor, stream: stream!)
    }

    private static func reorder(_ from: dnnl_memory_t, _ fromDescriptor: dnnl_memory_desc_t, into to: dnnl_memory_t, _ toDescriptor: dnnl_memory_desc_t,
                                stream: dnnl_stream_t) {
        let reorder = reorderPrimitive(from: fromDescriptor, to: toDescriptor)
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)]
        var scratchpadMemory: dnnl_memory_t?
        var scratchpad: TensorStorage?
        if reorder.scratchpadFloats > 0 {
            var descriptor = reorder.scratchpad
            scratchpad = TensorStorage(count: reorder.scratchpadFloats)
            check(dnnl_memory_create(&scratchpadMemory, &descriptor, engine, UnsafeMutableRawPointer(scratchpad!.pointer)),
                  "creating memory")
            arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpadMemory))
        }
        defer { if let scratchpadMemory { dnnl_memory_destroy(scratchpadMemory) } }
        check(dnnl_primitive_execute(reorder.primitive, stream, Int32(arguments.count), &arguments), "reordering")
        check(dnnl_stream_wait(stream), "waiting for a reorder")
        withExtendedLifetime(scratchpad) {}
    }

    /// A reorder between two formats and its scratchpad (its size read once, at creation).
    private struct Reorder: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        let scratchpad: dnnl_memory_desc_t
        let scratchpadFloats: Int
        init(primitive: dnnl_primitive_t, scratchpad: dnnl_memory_desc_t) {
            self.primitive = primitive
            self.scratchpad = scratchpad
            var size = scratchpad
            scratchpadFloats = (dnnl_memory_desc_get_size(&size) + 3) / 4
        }
    }

    private struct ReorderKey: Hashable {
        let from: MemoryFormat
        let to: MemoryFormat
        let threads: Int32
    }

    /// Created reorders: describing one walks oneDNN's list of reorder kernels, which cost more
    /// than a small reorder itself, so each pair of formats is described once per OpenMP thread
    /// count (a kernel's work split is fixed when it is created, as in oneDNN's own cache).
    nonisolated(unsafe) private static var reorders: [ReorderKey: Reorder] = [:]

    private static func reorderPrimitive(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) -> Reorder {
        let key = ReorderKey(from: MemoryFormat(from), to: MemoryFormat(to), threads: omp_get_max_threads())
        lock.lock()
        defer { lock.unlock() }
        if let reorder = reorders[key] { return reorder }
        var source = from, target = to
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        // A scratchpad of its own per call, so that threads can run the same reorder at once.
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "asking for a user scratchpad")
        var descriptor: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &target, engine, attributes), "describing a reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, descriptor), "creating a reorder")
        let reorder = Reorder(primitive: primitive!, scratchpad: dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).pointee)
        reorders[key] = reorder
        return reorder
    }

    // MARK: - Descriptors

    /// `values` as oneDNN's dimension array (at most 12 entries).
    static func dims(_ values: [Int]) -> [Int64] { values.map(Int64.init) + [Int64](repeating: 0, count: 12 - values.count) }

    static func descriptor(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(shape.count), dims(shape), dnnl_f32, tag), "describing \(shape)")
        return descriptor
    }

    /// An N×C×H×W activation's descriptor in `format`.
    static func descriptor(_ shape: [Int], _ format: ActivationFormat) -> dnnl_memory_desc_t {
        switch format {
        case .plain: return descriptor(shape, dnnl_nchw)
        case .blocked(16): return descriptor(shape, dnnl_nChw16c)
        case .blocked(8): return descriptor(shape, dnnl_nChw8c)
        case .blocked(let b): preconditionFailure("no oneDNN format for blocks of \(b) channels")
        }
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// oneDNN calls fail only on programming errors here (shapes are checked before): stop with the status.
    static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN failed \(what): status \(status.rawValue)")
    }
}

/// A oneDNN memory descriptor as a dictionary key: equal when oneDNN says so
/// (`dnnl_memory_desc_equal`), hashed on its dimensions and blocking.
private struct MemoryFormat: Hashable {
    let descriptor: dnnl_memory_desc_t

    init(_ descriptor: dnnl_memory_desc_t) { self.descriptor = descriptor }

    static func == (a: MemoryFormat, b: MemoryFormat) -> Bool {
        var a = a.descriptor, b = b.descriptor
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    func hash(into hasher: inout Hasher) {
        let rank = Int(descriptor.ndims)
        hasher.combine(rank)
        hasher.combine(descriptor.format_kind.rawValue)
        withUnsafeBytes(of: descriptor.dims) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(rank * 8))) }
        guard descriptor.format_kind == dnnl_blocked else { return }
        let blocking = descriptor.format_desc.blocking
        withUnsafeBytes(of: blocking.strides) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(rank * 8))) }
        let blocks = Int(blocking.inner_nblks)
        hasher.combine(blocks)
        withUnsafeBytes(of: blocking.inner_blks) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(blocks * 8))) }
        withUnsafeBytes(of: blocking.inner_idxs) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(blocks * 8))) }
    }
}
