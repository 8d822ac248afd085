import CDNNL
import Foundation
import TandemCore

// The `batch-norm` probe (see Probes.swift): Tandem's batch norm against oneDNN's primitive.

func runBatchNormProbe(_ options: BenchmarkOptions) {
    var generator = SeededGenerator(seed: UInt64(options.int("seed", 1)))
    let policy = options.policy
    let shape = [options.int("batch", 8), options.int("channels", 32), options.int("height", 64), options.int("width", 64)]
    let label = shape.map(String.init).joined(separator: "x")
    let x = Tensor.randomNormal(shape, generator: &generator), dy = Tensor.randomNormal(shape, generator: &generator)
    let scale = Tensor.randomNormal([shape[1]], generator: &generator), shift = Tensor.randomNormal([shape[1]], generator: &generator)

    report(["probe": "batch norm forward", "path": "Tandem N×C×H×W", "shape": label],
           measure(policy) { _ = Tape.withoutRecording { batchNorm(x, scale: scale, shift: shift) } })
    report(["probe": "batch norm forward + backward", "path": "Tandem N×C×H×W", "shape": label],
           measure(policy) { _ = valueAndGrad(at: [x, scale, shift], seed: dy) { batchNorm($0[0], scale: $0[1], shift: $0[2]).output } })

    // x as a convolution leaves it for a batch norm: blocked (a 1×1 convolution with the identity).
    let channels = shape[1]
    let identity = Tensor(shape: [channels, channels, 1, 1], scalars: (0..<channels * channels).map { $0 % (channels + 1) == 0 ? 1 : 0 })
    let blockedX = conv2d(x, weight: identity, output: .blocked)
    report(["probe": "batch norm + ReLU forward", "path": "Tandem N×C×H×W", "shape": label],
           measure(policy) { _ = Tape.withoutRecording { batchNormReLU(x, scale: scale, shift: shift) } })
    report(["probe": "batch norm + ReLU forward", "path": "Tandem blocked", "shape": label],
           measure(policy) { _ = Tape.withoutRecording { batchNormReLU(blockedX, scale: scale, shift: shift, output: .blocked) } })
    report(["probe": "batch norm + ReLU forward + backward", "path": "Tandem N×C×H×W", "shape": label],
           measure(policy) { _ = valueAndGrad(at: [x, scale, shift], seed: dy) { batchNormReLU($0[0], scale: $0[1], shift: $0[2]).output } })
    report(["probe": "batch norm + ReLU forward + backward", "path": "Tandem blocked", "shape": label],
           measure(policy) {
               _ = valueAndGrad(at: [blockedX, scale, shift], seed: dy) { batchNormReLU($0[0], scale: $0[1], shift: $0[2], output: .blocked).output }
           })

    if NumericsPolicy.inEffect() == .portable { _ = dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2) }
    var engine: dnnl_engine_t?
    probeCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the engine")
    let avx512 = dnnl_cpu_isa_avx512_core.rawValue
    let block = dnnl_get_effective_cpu_isa().rawValue & avx512 == avx512 ? 16 : 8
    let formats: [(String, dnnl_format_tag_t)] = [("N×C×H×W", dnnl_nchw), ("nChw\(block)c", block == 16 ? dnnl_nChw16c : dnnl_nChw8c)]
    for (name, tag) in formats {
        guard tag == dnnl_nchw || shape[1] % block == 0 else { continue }
        let normalization = OneDNNBatchNorm(engine: engine!, shape: shape, tag: tag, x: x.scalars, dy: dy.scalars,
                                            scale: scale.scalars, shift: shift.scalars)
        // Bits on 1 to 4 OpenMP threads (more than the cores is allowed: the partition is what matters).
        let bits = (1...4).map { threads -> [UInt32] in
            omp_set_num_threads(Int32(threads))
            return normalization.outputs()
        }
        omp_set_num_threads(Int32(Parallel.threadCount))
        let fields: [String: Any] = ["path": "oneDNN \(name) (\(normalization.implementation))", "shape": label,
                                     "same_bits_on_1_to_4_threads": bits.allSatisfy { $0 == bits[0] }]
        report(fields.merging(["probe": "batch norm forward"]) { $1 }, measure(policy) { normalization.forward() })
        report(fields.merging(["probe": "batch norm forward + backward"]) { $1 }, measure(policy) { normalization.forward(); normalization.backward() })
    }
}

private func probeCheck(_ status: dnnl_status_t, _ what: String) {
    if status != dnnl_success { fail("oneDNN failed \(what): status \(status.rawValue)") }
}

/// oneDNN's training-mode batch normalization (with scale and shift) on one shape and format, its
/// buffers allocated by oneDNN and filled once.
private final class OneDNNBatchNorm {
    let stream: dnnl_stream_t
    let forwardPrimitive: dnnl_primitive_t, backwardPrimitive: dnnl_primitive_t
    var forwardArguments: [dnnl_exec_arg_t] = [], backwardArguments: [dnnl_exec_arg_t] = []
    /// The outputs whose bits `outputs` reads, and their float counts.
    var results: [(dnnl_memory_t, Int)] = []
    let implementation: String

    init(engine: dnnl_engine_t, shape: [Int], tag: dnnl_format_tag_t, x: [Float], dy: [Float], scale: [Float], shift: [Float]) {
        var stream: dnnl_stream_t?
        probeCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
        var descriptor = dnnl_memory_desc_t()
        let dims = shape.map(Int64.init) + [Int64](repeating: 0, count: 8)
        probeCheck(dnnl_memory_desc_init_by_tag(&descriptor, 4, dims, dnnl_f32, tag), "describing \(shape)")
        let flags = UInt32(dnnl_use_scaleshift.rawValue)
        var forward = dnnl_batch_normalization_desc_t(), backward = dnnl_batch_normalization_desc_t()
        probeCheck(dnnl_batch_normalization_forward_desc_init(&forward, dnnl_forward_training, &descriptor, 1e-5, flags), "describing the forward pass")
        probeCheck(dnnl_batch_normalization_backward_desc_init(&backward, dnnl_backward, &descriptor, &descriptor, 1e-5, flags), "describing the backward pass")
        var forwardDescriptor: dnnl_primitive_desc_t?, backwardDescriptor: dnnl_primitive_desc_t?
        probeCheck(dnnl_primitive_desc_create(&forwardDescriptor, &forward, nil, engine, nil), "choosing a forward kernel")
        probeCheck(dnnl_primitive_desc_create(&backwardDescriptor, &backward, nil, engine, forwardDescriptor), "choosing a backward kernel")
        defer { dnnl_primitive_desc_destroy(forwardDescriptor); dnnl_primitive_desc_destroy(backwardDescriptor) }
        var name: UnsafePointer<CChar>?
        probeCheck(dnnl_primitive_desc_query(forwardDescriptor, dnnl_query_impl_info_str, 0, &name), "asking for the kernel's name")
        implementation = name.map { String(cString: $0) } ?? "?"
        var forwardPrimitive: dnnl_primitive_t?, backwardPrimitive: dnnl_primitive_t?
        probeCheck(dnnl_primitive_create(&forwardPrimitive, forwardDescriptor), "creating the forward pass")
        probeCheck(dnnl_primitive_create(&backwardPrimitive, backwardDescriptor), "creating the backward pass")
        self.forwardPrimitive = forwardPrimitive!
        self.backwardPrimitive = backwardPrimitive!

        func memory(_ descriptor: dnnl_memory_desc_t, _ values: [Float]? = nil) -> dnnl_memory_t {
            var descriptor = descriptor, memory: dnnl_memory_t?
            probeCheck(dnnl_memory_create(&memory, &descriptor, engine, tandem_dnnl_memory_allocate()), "allocating")
            var handle: UnsafeMutableRawPointer?
            probeCheck(dnnl_memory_get_data_handle(memory, &handle), "reading a handle")
            let count = dnnl_memory_desc_get_size(&descriptor) / 4
            let floats = handle!.bindMemory(to: Float.self, capacity: count)
            // The activations' values in the buffer's order (a blocked format only permutes them).
            for i in 0..<count { floats[i] = values.map { $0[i % $0.count] } ?? 0 }
            return memory!
        }
        let statistics = dnnl_primitive_desc_query_md(forwardDescriptor, dnnl_query_dst_md, 1).pointee
        let scaleShiftFormat = dnnl_primitive_desc_query_md(forwardDescriptor, dnnl_query_weights_md, 0).pointee
        let source = memory(descriptor, x), gradient = memory(descriptor, dy), scaleShift = memory(scaleShiftFormat, scale + shift)
        let output = memory(descriptor), mean = memory(statistics), variance = memory(statistics)
        let inputGradient = memory(descriptor), scaleShiftGradient = memory(scaleShiftFormat)
        forwardArguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: output),
                            dnnl_exec_arg_t(arg: DNNL_ARG_SCALE_SHIFT, memory: scaleShift),
                            dnnl_exec_arg_t(arg: DNNL_ARG_MEAN, memory: mean), dnnl_exec_arg_t(arg: DNNL_ARG_VARIANCE, memory: variance)]
        backwardArguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_DST, memory: gradient),
                             dnnl_exec_arg_t(arg: DNNL_ARG_SCALE_SHIFT, memory: scaleShift),
                             dnnl_exec_arg_t(arg: DNNL_ARG_MEAN, memory: mean), dnnl_exec_arg_t(arg: DNNL_ARG_VARIANCE, memory: variance),
                             dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SRC, memory: inputGradient),
                             dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SCALE_SHIFT, memory: scaleShiftGradient)]
        var activation = descriptor, small = statistics, pair = scaleShiftFormat
        let activations = dnnl_memory_desc_get_size(&activation) / 4
        results = [(output, activations), (mean, dnnl_memory_desc_get_size(&small) / 4), (variance, dnnl_memory_desc_get_size(&small) / 4),
                   (inputGradient, activations), (scaleShiftGradient, dnnl_memory_desc_get_size(&pair) / 4)]
    }

    func forward() {
        probeCheck(dnnl_primitive_execute(forwardPrimitive, stream, Int32(forwardArguments.count), &forwardArguments), "running the forward pass")
        probeCheck(dnnl_stream_wait(stream), "waiting")
    }

    func backward() {
        probeCheck(dnnl_primitive_execute(backwardPrimitive, stream, Int32(backwardArguments.count), &backwardArguments), "running the backward pass")
        probeCheck(dnnl_stream_wait(stream), "waiting")
    }

    /// The bits of every output after one forward and one backward pass.
    func outputs() -> [UInt32] {
        forward()
        backward()
        return results.flatMap { memory, count -> [UInt32] in
            var handle: UnsafeMutableRawPointer?
            probeCheck(dnnl_memory_get_data_handle(memory, &handle), "reading a handle")
            return Array(UnsafeBufferPointer(start: handle!.bindMemory(to: Float.self, capacity: count), count: count)).map(\.bitPattern)
        }
    }
}
