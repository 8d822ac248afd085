import XCTest
import Foundation
import TandemCore
@testable import TandemModels

/// LibMTL's architectures against LibMTL itself: Tests/Fixtures/architectures/generate.py builds
/// them with LibMTL 1.1.5's classes (LTB and the T×T Cross-stitch from LibMTL's repository) around
/// LibMTL's ResNet at width 1/64, and Tandem's wrappers around its `resnet` model load those
/// weights and reproduce the outputs, gradients and running statistics to 1e-4 relative.
final class ArchitectureReferenceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/architectures")
    static let tasks = ["a", "b", "c"]
    static let inputShape = [1, 32, 64]

    /// The generator's encoder model: LibMTL's ResNet-18 topology at width 1/64, heads a, b, c.
    static func encoderModel() -> ResNet {
        ResNet(heads: [(task: "a", outputs: 3), (task: "b", outputs: 4), (task: "c", outputs: 2)], width: 1.0 / 64, inputChannels: 1)
    }

    func testHardParameterSharingIsLibMTLsHPS() throws {
        try check(Self.encoderModel(), "hps")
    }

    func testCrossStitchMatchesLibMTL() throws {
        try check(CrossStitch(encoderModel: Self.encoderModel()), "cross-stitch")
        try check(CrossStitch(encoderModel: Self.encoderModel(), units: .perSource), "cross-stitch-per-source")
    }

    func testMTANMatchesLibMTL() throws {
        try check(MTAN(encoderModel: Self.encoderModel()), "mtan", sharedBeyondLibMTL: "shared.encoder.encoder_block_att.")
    }

    func testMMoEMatchesLibMTL() throws {
        try check(MMoE(encoderModel: Self.encoderModel(), inputShape: Self.inputShape, experts: 2), "mmoe")
    }

    func testCGCMatchesLibMTL() throws {
        try check(CGC(encoderModel: Self.encoderModel(), inputShape: Self.inputShape, sharedExperts: 1, taskExperts: [1, 2, 1]), "cgc")
    }

    func testPLEMatchesLibMTL() throws {
        try check(PLE(encoderModel: Self.encoderModel(), inputShape: Self.inputShape, sharedExperts: 1, taskExperts: [1, 2, 1]), "ple")
    }

    func testDSelectKMatchesLibMTL() throws {
        try check(DSelectK(encoderModel: Self.encoderModel(), inputShape: Self.inputShape, experts: 3, selectors: 2, gamma: 1), "dselect-k")
    }

    /// In its warm-up (epoch 0 of 200) LTB mixes every branch with weight 1, in training and in evaluation.
    func testLTBInWarmUpMatchesLibMTLsRepository() throws {
        try check(LTB(encoderModel: Self.encoderModel()), "ltb", progress: TrainingProgress(epoch: 0, epochs: 200, seed: 5))
    }

    /// After the warm-up: PyTorch's `gumbel_softmax(hard=True)` with the noise it drew.
    func testHardGumbelSoftmaxMatchesPyTorch() throws {
        let vectors = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("gumbel.vectors.safetensors"))
        let logits = try vectors.floats("logits").tracked()
        let tau = try XCTUnwrap(vectors.metadata["tau"].flatMap(Float.init))
        let output = LTB.hardGumbelSoftmax(logits, noise: try vectors.floats("noise"), tau: tau)
        XCTAssertEqual(output.detached.scalars, try vectors.floats("output").scalars)
        let gradient = grad(of: dot(output, referenceCotangent(shape: output.shape, task: 0)), wrt: [logits])[0]
        assertClose(gradient, try vectors.floats("grad.logits"), "hard Gumbel-softmax gradient", line: #line)
    }

    /// The noise is standard Gumbel (mean γ ≈ 0.5772, variance π²/6) and a function of the seed alone.
    func testGumbelNoiseIsStandardAndSeeded() {
        let noise = LTB.gumbelNoise(shape: [200, 100], seed: 11).scalars.map(Double.init)
        let mean = noise.reduce(0, +) / Double(noise.count)
        let variance = noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count - 1)
        XCTAssertEqual(mean, 0.5772, accuracy: 0.03)
        XCTAssertEqual(variance, Double.pi * Double.pi / 6, accuracy: 0.06)
        XCTAssertEqual(LTB.gumbelNoise(shape: [3, 3], seed: 11).scalars, LTB.gumbelNoise(shape: [3, 3], seed: 11).scalars)
        XCTAssertNotEqual(LTB.gumbelNoise(shape: [3, 3], seed: 11).scalars, LTB.gumbelNoise(shape: [3, 3], seed: 12).scalars)
    }

    /// After the warm-up, evaluation reads each task's most likely branch: the output is a one-hot
    /// choice per task and level, and training draws one-hot choices that vary with the step.
    func testLTBBranchWeightsAfterWarmUp() {
        let model = LTB(encoderModel: Self.encoderModel())
        let alpha = Tensor(shape: [6, 3, 3], scalars: (0..<54).map { Float(sin(Double($0))) })
        let parameters = Parameters([("shared.encoder.alpha", alpha)])
        let late = TrainingProgress(epoch: 50, epochs: 200, seed: 1)
        let evaluation = model.branchWeights(alpha, ForwardContext(parameters: parameters, isTraining: false, progress: late))
        XCTAssertEqual(evaluation.scalars, LTB.oneHotArgmax(alpha).scalars)
        var choices: Set<[Float]> = []
        for seed in 0..<8 {
            let training = model.branchWeights(alpha, ForwardContext(parameters: parameters, isTraining: true,
                                                                      progress: TrainingProgress(epoch: 50, epochs: 200, seed: UInt64(seed))))
            XCTAssertEqual(training.scalars.filter { $0 != 0 }.count, 18, "one branch per level and task")
            choices.insert(training.scalars.map { $0.rounded() })
        }
        XCTAssertGreaterThan(choices.count, 1, "the draws differ between steps")
        let warmUp = model.branchWeights(alpha, ForwardContext(parameters: parameters, isTraining: true, progress: TrainingProgress(epoch: 1, epochs: 200, seed: 0)))
        XCTAssertEqual(warmUp.scalars, [Float](repeating: 1, count: 54))
    }

    /// LibMTL's resnet18 encoder has 11,176,512 parameters; Tandem's ResNet-18 the same.
    func testResNet18EncoderCountIsLibMTLs() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("counts.json"))
        let expected = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["resnet18_encoder"] as? Int)
        let counts = ResNet(heads: [(task: "a", outputs: 10)]).parameterCounts()
        XCTAssertEqual(counts.shared, expected)
        XCTAssertEqual(counts.shared, 11_176_512)
    }

    /// Outputs, the input gradient and the parameter gradients as one vector agree to 1e-4 (measured:
    /// ≤ 6e-6); tensor by tensor to 1e-3: at width 1/64 the 1×1 projections of layer2 have two
    /// weights whose gradients are sums with much cancellation, and float32 leaves them at up to
    /// 3e-4 of their size (PyTorch's own float32 run: 1e-4). Total and shared counts equal LibMTL's
    /// (`get_share_params()`); MTAN's shared group also has the attention blocks every task uses,
    /// outside LibMTL's.
    func check(_ model: any MultiTaskModel, _ name: String, sharedBeyondLibMTL: String? = nil, progress: TrainingProgress? = nil, line: UInt = #line) throws {
        try assertMatchesPyTorchReference(model, tasks: Self.tasks, weights: Self.fixtures.appendingPathComponent("\(name).weights.safetensors"),
                                          vectors: Self.fixtures.appendingPathComponent("\(name).vectors.safetensors"), label: name,
                                          progress: progress, perTensorTolerance: 1e-3, line: line)
        let metadata = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("\(name).vectors.safetensors")).metadata
        var generator = SeededGenerator(seed: 0)
        let parameters = model.initialParameters(generator: &generator)
        XCTAssertEqual(parameters.scalarCount, metadata["total"].flatMap(Int.init), "\(name): total parameters", line: line)
        let extra = sharedBeyondLibMTL.map { parameters.filter(prefix: $0).scalarCount } ?? 0
        XCTAssertEqual(parameters.shared.scalarCount - extra, metadata["shared"].flatMap(Int.init), "\(name): shared parameters", line: line)
    }
}
