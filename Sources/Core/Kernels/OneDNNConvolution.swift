import CDNNL
import Foundation

/// Convolutions through oneDNN (the library PyTorch runs its CPU convolutions on; Debian's
/// `libdnnl-dev` 2.6): the forward pass and the input gradient (which is also the transposed
/// convolution) with oneDNN's direct JIT kernels, in the blocked memory formats they choose, with
/// a reorder from and back to Tandem's N×C×H×W at each call.
///
/// **Determinism.** The forward and input-gradient kernels compute each output element in one
/// thread, so their results do not depend on the thread count (`OneDNNConvolutionTests` checks
/// 1 against 3 threads in child processes). The weight gradient's JIT kernels split its reduction
/// over threads, so it stays on Tandem's own kernel. The instruction set follows the numerics
/// policy: `portable` caps oneDNN at AVX2 (`dnnl_set_max_cpu_isa`), as it pins OpenBLAS's AVX2
/// kernels; `native` lets it use the CPU's best.
///
/// Primitives are cached by shape (oneDNN's own primitive cache holds the JIT code, Tandem's the
/// descriptors); temporary blocked buffers are allocated per call by oneDNN.
enum OneDNNConvolution {
    /// The CPU engine and its stream, created once (after the ISA cap).
    private static let runtime: (engine: dnnl_engine_t, stream: dnnl_stream_t) = {
        if NumericsPolicy.inEffect() == .portable { _ = dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2) }
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        return (engine!, stream!)
    }()

    /// oneDNN's version and the instruction set its kernels use, for provenance.
    static var description: String {
        let version = dnnl_version().pointee
        _ = runtime
        let isa: String
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx2: isa = "AVX2"
        case dnnl_cpu_isa_avx512_core: isa = "AVX-512"
        default: isa = "ISA \(dnnl_get_effective_cpu_isa().rawValue)"
        }
        return "oneDNN \(version.major).\(version.minor).\(version.patch) \(isa)"
    }

    enum Pass: Hashable { case forward(bias: Bool), inputGradient }

    private struct Key: Hashable {
        let pass: Pass
        let geometry: ConvolutionGeometry
    }

    /// A created primitive and what it reads and writes.
    private final class Entry: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        let source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destination: dnnl_memory_desc_t
        init(primitive: dnnl_primitive_t, source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destination: dnnl_memory_desc_t) {
            self.primitive = primitive
            self.source = source
            self.weights = weights
            self.destination = destination
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Key: Entry] = [:]

    /// y = conv(x, w) (+ bias).
    static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?) -> TensorStorage {
        let out = TensorStorage(count: Shape.count(g.outputShape))
        let entry = primitive(Key(pass: .forward(bias: bias != nil), geometry: g))
        run(entry, sourceArgument: DNNL_ARG_SRC, source: x.pointer, plainSource: plain(g.inputShape, dnnl_nchw),
            weights: w.pointer, plainWeights: plain(g.weightShape, dnnl_oihw),
            destinationArgument: DNNL_ARG_DST, destination: out.pointer, plainDestination: plain(g.outputShape, dnnl_nchw),
            extra: bias.map { (DNNL_ARG_BIAS, $0.pointer, plain([g.outputChannels], dnnl_x)) })
        return out
    }

    /// dx = convᵀ(dy, w) (+ bias over dx's channels: a transposed convolution's).
    static func inputGradient(_ dy: Tensor, _ w: Tensor, _ g: ConvolutionGeometry, bias: Tensor?) -> TensorStorage {
        let out = TensorStorage(count: Shape.count(g.inputShape))
        let entry = primitive(Key(pass: .inputGradient, geometry: g))
        run(entry, sourceArgument: DNNL_ARG_DIFF_DST, source: dy.pointer, plainSource: plain(g.outputShape, dnnl_nchw),
            weights: w.pointer, plainWeights: plain(g.weightShape, dnnl_oihw),
            destinationArgument: DNNL_ARG_DIFF_SRC, destination: out.pointer, plainDestination: plain(g.inputShape, dnnl_nchw), extra: nil)
        if let bias {
            ConvolutionKernels.addChannelBias(bias.pointer, to: out.pointer, images: g.batch, channels: g.inputChannels, plane: g.inputPlane)
        }
        return out
    }

    // MARK: - Primitives

    private static func primitive(_ key: Key) -> Entry {
        lock.lock()
        defer { lock.unlock() }
        if let entry = cache[key] { return entry }
        let entry = create(key)
        cache[key] = entry
        return entry
    }

    private static func create(_ key: Key) -> Entry {
        let g = key.geometry, engine = runtime.engine
        var source = descriptor(g.inputShape, dnnl_format_tag_any), weights = descriptor(g.weightShape, dnnl_format_tag_any)
        var destination = descriptor(g.outputShape, dnnl_format_tag_any), bias = plain([g.outputChannels], dnnl_x)
        let strides = dims([g.stride, g.stride]), left = dims([g.padding, g.padding])
        // oneDNN wants the padding that makes its output size formula exact (floor division may drop rows).
        let right = dims([(g.outputHeight - 1) * g.stride + g.kernelHeight - g.inputHeight - g.padding,
                          (g.outputWidth - 1) * g.stride + g.kernelWidth - g.inputWidth - g.padding])
        var forward = dnnl_convolution_desc_t()
        let hasBias: Bool
        if case let .forward(withBias) = key.pass { hasBias = withBias } else { hasBias = false }
        let status = hasBias
            ? dnnl_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, &bias,
                                                 &destination, strides, left, right)
            : dnnl_convolution_forward_desc_init(&forward, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, nil,
                                                 &destination, strides, left, right)
        check(status, "describing \(g)")
        var forwardDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&forwardDescriptor, &forward, nil, engine, nil), "choosing a forward kernel for \(g)")
        defer { dnnl_primitive_desc_destroy(forwardDescriptor) }
        var chosen = forwardDescriptor!
        var backwardDescriptor: dnnl_primitive_desc_t?
        if key.pass == .inputGradient {
            var backward = dnnl_convolution_desc_t()
            check(dnnl_convolution_backward_data_desc_init(&backward, dnnl_convolution_direct, &source, &weights, &destination,
                                                           strides, left, right), "describing the input gradient of \(g)")
            check(dnnl_primitive_desc_create(&backwardDescriptor, &backward, nil, engine, forwardDescriptor), "choosing an input-gradient kernel for \(g)")
            chosen = backwardDescriptor!
        }
        defer { if let backwardDescriptor { dnnl_primitive_desc_destroy(backwardDescriptor) } }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, chosen), "creating the primitive for \(g)")
        let isForward = key.pass != .inputGradient
        return Entry(primitive: primitive!,
                     source: dnnl_primitive_desc_query_md(chosen, isForward ? dnnl_query_src_md : dnnl_query_diff_dst_md, 0).pointee,
                     weights: dnnl_primitive_desc_query_md(chosen, dnnl_query_weights_md, 0).pointee,
                     destination: dnnl_primitive_desc_query_md(chosen, isForward ? dnnl_query_dst_md : dnnl_query_diff_src_md, 0).pointee)
    }

    // MARK: - Execution

    /// Runs `entry` on plain N×C×H×W buffers: reorders the inputs into the primitive's formats and
    /// its output back, through temporary buffers only where the formats differ.
    private static func run(_ entry: Entry, sourceArgument: Int32, source: UnsafeMutablePointer<Float>, plainSource: dnnl_memory_desc_t,
                            weights: UnsafeMutablePointer<Float>, plainWeights: dnnl_memory_desc_t,
                            destinationArgument: Int32, destination: UnsafeMutablePointer<Float>, plainDestination: dnnl_memory_desc_t,
                            extra: (Int32, UnsafeMutablePointer<Float>, dnnl_memory_desc_t)?) {
        let stream = runtime.stream
        // OpenMP's thread count is per calling thread: give it Tandem's on whichever thread runs this.
        omp_set_num_threads(Int32(Parallel.threadCount))
        var created: [dnnl_memory_t] = []
        defer { for memory in created { dnnl_memory_destroy(memory) } }
        func memory(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer?) -> dnnl_memory_t {
            var descriptor = descriptor
            var memory: dnnl_memory_t?
            check(dnnl_memory_create(&memory, &descriptor, runtime.engine, pointer ?? tandem_dnnl_memory_allocate()), "creating memory")
            created.append(memory!)
            return memory!
        }
        func input(_ pointer: UnsafeMutablePointer<Float>, plain: dnnl_memory_desc_t, wanted: dnnl_memory_desc_t) -> dnnl_memory_t {
            let user = memory(plain, pointer)
            if equal(plain, wanted) { return user }
            let blocked = memory(wanted, nil)
            reorder(user, plain, into: blocked, wanted, stream: stream)
            return blocked
        }
        let sourceMemory = input(source, plain: plainSource, wanted: entry.source)
        let weightMemory = input(weights, plain: plainWeights, wanted: entry.weights)
        let userDestination = memory(plainDestination, destination)
        let destinationMemory = equal(plainDestination, entry.destination) ? userDestination : memory(entry.destination, nil)
        var arguments = [dnnl_exec_arg_t(arg: sourceArgument, memory: sourceMemory), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weightMemory),
                         dnnl_exec_arg_t(arg: destinationArgument, memory: destinationMemory)]
        if let (argument, pointer, descriptor) = extra { arguments.append(dnnl_exec_arg_t(arg: argument, memory: memory(descriptor, pointer))) }
        check(dnnl_primitive_execute(entry.primitive, stream, Int32(arguments.count), &arguments), "running a convolution")
        check(dnnl_stream_wait(stream), "waiting for a convolution")
        if destinationMemory != userDestination { reorder(destinationMemory, entry.destination, into: userDestination, plainDestination, stream: stream) }
    }

    private static func reorder(_ from: dnnl_memory_t, _ fromDescriptor: dnnl_memory_desc_t, into to: dnnl_memory_t, _ toDescriptor: dnnl_memory_desc_t,
                                stream: dnnl_stream_t) {
        var source = fromDescriptor, target = toDescriptor
        var descriptor: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&descriptor, &source, runtime.engine, &target, runtime.engine, nil), "describing a reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, descriptor), "creating a reorder")
        defer { dnnl_primitive_destroy(primitive) }
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)]
        check(dnnl_primitive_execute(primitive, stream, 2, &arguments), "reordering")
        check(dnnl_stream_wait(stream), "waiting for a reorder")
    }

    // MARK: - Descriptors

    /// `values` as oneDNN's dimension array (at most 12 entries).
    private static func dims(_ values: [Int]) -> [Int64] { values.map(Int64.init) + [Int64](repeating: 0, count: 12 - values.count) }

    private static func descriptor(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(shape.count), dims(shape), dnnl_f32, tag), "describing \(shape)")
        return descriptor
    }

    private static func plain(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t { descriptor(shape, tag) }

    private static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// oneDNN calls fail only on programming errors here (shapes are checked before): stop with the status.
    private static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN failed \(what): status \(status.rawValue)")
    }
}
