import XCTest
import Foundation
import TandemCore
@testable import TandemModels

/// SegNet and SegNet-MTAN against the reference (the MTAN code's models, ported in PyTorch by
/// Tests/Fixtures/models/generate.py, which checks the port against the reference itself): the
/// reference's weights load under its state-dict names, and the training-mode outputs, the running
/// statistics after the step and the evaluation-mode outputs agree to 1e-4 relative, the input and
/// parameter gradients to 1e-4 or twice PyTorch's own float32 error (`assertMatchesPyTorchReference`),
/// on both convolution backends; the parameter counts at the paper's configuration are the reference's.
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
        try assertMatchesPyTorchReference(model, tasks: Self.tasks, weights: Self.fixtures.appendingPathComponent("\(name).weights.safetensors"),
                                          vectors: Self.fixtures.appendingPathComponent("\(name).vectors.safetensors"), label: name, line: line)
    }
}
