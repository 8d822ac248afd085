import XCTest
import Foundation
import TandemCore
@testable import TandemModels

/// SegNet and SegNet-MTAN against the reference (the MTAN code's models, ported in PyTorch by
/// Tests/Fixtures/models/generate.py, which checks the port against the reference itself): the
/// reference's weights load under its state-dict names, and the training-mode outputs, the input
/// and parameter gradients, the running statistics after the step and the evaluation-mode outputs
/// agree to 1e-4 relative; the parameter counts at the paper's configuration are the reference's.
final class SegNetReferenceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/models")
    /// The generator's tasks, in its order (pred_task1, 2, 3).
    static let tasks = ["seg", "depth", "normals"]
    static func heads() -> [DenseTaskHead] {
        [DenseTaskHead(task: "seg", channels: 13), DenseTaskHead(task: "depth", channels: 1),
         DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)]
    }

    func testSegNetMatchesTheReference() throws {
        try assertMatchesReference(SegNet(heads: Self.heads(), width: 1.0 / 32), file: "segnet")
    }

    func testSegNetMTANMatchesTheReference() throws {
        try assertMatchesReference(SegNetMTAN(heads: Self.heads(), width: 1.0 / 32), file: "segnet-mtan")
    }

    /// The per-task convention is the same network under other names: it loads the same file and
    /// computes the same numbers.
    func testSegNetMTANPerTaskAttentionMatchesTheReference() throws {
        try assertMatchesReference(SegNetMTAN(heads: Self.heads(), width: 1.0 / 32, attention: .perTask), file: "segnet-mtan")
    }

    func testParameterCountsAtThePaperConfigurationAreTheReferences() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("counts.json"))
        let models = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["models"] as? [String: [String: Any]])
        func expected(_ model: String, _ key: String) -> Int? { models[model]?[key] as? Int }
        let heads = denseTriple
        let segNet = SegNet(heads: heads).parameterCounts()
        XCTAssertEqual(segNet.total, expected("segnet", "total"))
        XCTAssertEqual(segNet.total, 25_055_185)
        XCTAssertEqual(segNet.shared, expected("segnet", "shared_reference"))
        let mtan = SegNetMTAN(heads: heads).parameterCounts()
        XCTAssertEqual(mtan.total, expected("segnet-mtan", "total"))
        XCTAssertEqual(mtan.total, 44_229_073)
        XCTAssertEqual(mtan.shared, expected("segnet-mtan", "shared_reference"))
        XCTAssertEqual(mtan.shared, 44_117_184)
        let perTask = SegNetMTAN(heads: heads, attention: .perTask).parameterCounts()
        XCTAssertEqual(perTask.total, 44_229_073)
        XCTAssertEqual(perTask.shared, expected("segnet-mtan", "shared_per_task_attention"))
        XCTAssertEqual(perTask.shared, 35_163_456)
    }

    func assertMatchesReference(_ model: any MultiTaskModel, file name: String, line: UInt = #line) throws {
        let weights = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("\(name).weights.safetensors"))
        let vectors = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("\(name).vectors.safetensors"))
        var generator = SeededGenerator(seed: 1)
        let (parameters, buffers) = try ModelWeights.load(weights, model: model, parameters: model.initialParameters(generator: &generator),
                                                         buffers: model.initialBuffers())
        let reference = try XCTUnwrap(model as? any ReferenceStateDictionary)
        func referenceName(_ name: String) -> String { reference.referenceName(of: name)! }

        // Training mode: outputs, gradients of L = Σ_t ⟨c_t, output_t⟩, running statistics.
        let input = try vectors.floats("input").tracked()
        let tracked = parameters.tracked()
        let sink = BatchNormStatisticsSink()
        let outputs = model(input, ForwardContext(parameters: tracked, buffers: buffers, isTraining: true, statistics: sink))
        var loss = Tensor(0)
        for (index, task) in Self.tasks.enumerated() {
            let output = try XCTUnwrap(outputs[task])
            try assertClose(output, vectors.floats("train.\(task)"), "\(name) training output \(task)", line: line)
            loss = loss + dot(output, Self.cotangent(shape: output.shape, task: index))
        }
        let gradients = grad(of: loss, wrt: [input] + tracked.tensorsInOrder)
        try assertClose(gradients[0], vectors.floats("grad.input"), "\(name) input gradient", line: line)
        // The parameter gradients as one vector agree to 1e-4. Tensor by tensor, float32 rounding
        // through the 30-odd batch norms (over 4 values per channel at the bottleneck) leaves
        // some at a few 1e-4 of their own size, as it does in PyTorch's own float32 run (2–3e-4 on
        // its worst tensor, `torch_float32_worst`): each must be within 1e-4 or within twice that,
        // measured against max(own norm, 10⁻³ × the largest tensor's norm).
        let expected = try tracked.names.map { try vectors.floats("grad.\(referenceName($0))") }
        let scale = expected.map { $0.norm().scalar }.max()!
        let torchFloat32Worst = Float(vectors.metadata["torch_float32_worst"].flatMap(Double.init) ?? 0)
        var squaredDifference: Float = 0, squaredSize: Float = 0, worst: (error: Float, name: String) = (0, "")
        for (index, parameterName) in tracked.names.enumerated() {
            XCTAssertEqual(gradients[index + 1].shape, expected[index].shape, parameterName, line: line)
            let difference = (gradients[index + 1] - expected[index]).norm().scalar, size = expected[index].norm().scalar
            squaredDifference += difference * difference
            squaredSize += size * size
            let error = difference / max(size, 1e-3 * scale)
            if error > worst.error { worst = (error, parameterName) }
        }
        let overall = (squaredDifference / squaredSize).squareRoot()
        print("\(name) \(type(of: model)): parameter gradients ‖Δ‖/‖g‖ = \(overall); worst tensor \(worst.name) \(worst.error); PyTorch float32's worst \(torchFloat32Worst)")
        XCTAssertLessThanOrEqual(overall, 1e-4, "\(name): parameter gradients as one vector", line: line)
        XCTAssertLessThanOrEqual(worst.error, max(1e-4, 2 * torchFloat32Worst), "\(name): gradient of \(worst.name)", line: line)
        let running = sink.updatedBuffers(buffers, momentum: 0.1)
        for bufferName in running.names {
            try assertClose(running[bufferName], vectors.floats("running.\(referenceName(bufferName))"), "\(name) running \(bufferName)", line: line)
        }

        // Evaluation mode with the file's running statistics.
        let evaluation = Tape.withoutRecording { model(input.detached, ForwardContext(parameters: parameters, buffers: buffers, isTraining: false)) }
        for task in Self.tasks {
            try assertClose(evaluation[task]!, vectors.floats("eval.\(task)"), "\(name) evaluation output \(task)", line: line)
        }
    }

    /// c_t[i] = sin(0.37 i + t), the generator's cotangent.
    static func cotangent(shape: [Int], task: Int) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float(sin(0.37 * Double($0) + Double(task))) })
    }

    /// ‖a − b‖ ≤ 10⁻⁴ · max(‖b‖, floor) (the relative error is printed: the docs quote it).
    func assertClose(_ a: Tensor, _ b: Tensor, _ label: String, floor: Float = 0, line: UInt) {
        XCTAssertEqual(a.shape, b.shape, label, line: line)
        guard a.shape == b.shape else { return }
        let difference = (a.detached - b).norm().scalar, size = b.norm().scalar
        print("\(label): ‖Δ‖/‖reference‖ = \(difference / max(size, .leastNormalMagnitude))")
        XCTAssertLessThanOrEqual(difference, 1e-4 * max(size, floor), "\(label): ‖Δ‖ = \(difference), ‖reference‖ = \(size)", line: line)
    }
}
