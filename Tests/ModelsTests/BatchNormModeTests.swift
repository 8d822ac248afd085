import XCTest
import TandemCore
import TandemModels

/// Batch norm in the split models: training passes normalise with the batch's statistics and
/// report them to the context's sink (if any); evaluation passes read the running statistics from
/// the buffers; nothing else ever changes them.
final class BatchNormModeTests: XCTestCase {
    let models: [any MultiTaskModel] = [SplitVGG(split: 3, heads: denseTriple, width: 0.125),
                                        SplitRes(split: 3, heads: denseTriple, width: 0.125)]

    func input(seed: UInt64, batch: Int = 4) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal([batch, 3, 32, 32], mean: 2, standardDeviation: 3, generator: &generator)
    }

    func batchNormLayers(_ buffers: Parameters) -> Set<String> {
        Set(buffers.names.filter { $0.hasSuffix(".runningMean") }.map { String($0.dropLast(".runningMean".count)) })
    }

    func testTrainingPassReportsEveryLayersBatchStatisticsToTheSink() {
        for model in models {
            let parameters = initialParameters(model), buffers = model.initialBuffers()
            let x = input(seed: 1)
            let sink = BatchNormStatisticsSink()
            _ = model(x, ForwardContext(parameters: parameters, buffers: buffers, isTraining: true, statistics: sink))
            XCTAssertEqual(Set(sink.batchStatistics.keys), batchNormLayers(buffers), "\(type(of: model)): every BN layer reports")
            // The first layer's reported mean is the channel mean of the first convolution's output.
            let (layer, weight, stride, padding) = model is SplitVGG
                ? ("shared.encoder.block0.layer0.bn", "shared.encoder.block0.layer0.conv.weight", 1, 1)
                : ("shared.encoder.stem.bn", "shared.encoder.stem.conv.weight", 2, 3)
            let expected = conv2d(x, weight: parameters[weight], stride: stride, padding: padding).mean(axes: [0, 2, 3]).scalars
            for (reported, direct) in zip(sink.batchStatistics[layer]!.mean.scalars, expected) {
                XCTAssertEqual(reported, direct, accuracy: 1e-4 + 1e-4 * abs(direct))
            }
            // Folding them in moves the running statistics; evaluation then gives other outputs.
            let updated = sink.updatedBuffers(buffers, momentum: 0.5)
            XCTAssertNotEqual(updated["\(layer).runningMean"].scalars, buffers["\(layer).runningMean"].scalars)
            let before = model.encode(x, ForwardContext(parameters: parameters, buffers: buffers, isTraining: false))
            let after = model.encode(x, ForwardContext(parameters: parameters, buffers: updated, isTraining: false))
            XCTAssertNotEqual(before.scalars, after.scalars)
        }
    }

    func testLookaheadWithoutSinkLeavesStatisticsAlone() {
        for model in models {
            let parameters = initialParameters(model), buffers = model.initialBuffers()
            let x = input(seed: 2)
            let sink = BatchNormStatisticsSink()
            let context = ForwardContext(parameters: parameters, buffers: buffers, isTraining: true, statistics: sink)
            let withSink = model(x, context)
            let recorded = sink.batchStatistics.mapValues { $0.mean.scalars + $0.variance.scalars }
            // A lookahead: other parameters and another batch, training mode, no sink.
            let lookahead = parameters.map { $1 * 1.1 }
            let sinkless = context.with(parameters: lookahead)
            XCTAssertNil(sinkless.statistics, "a lookahead context carries no sink")
            let lookaheadOutputs = model(input(seed: 3), sinkless)
            XCTAssertNotEqual(lookaheadOutputs["depth"]!.scalars, withSink["depth"]!.scalars)
            XCTAssertEqual(sink.batchStatistics.mapValues { $0.mean.scalars + $0.variance.scalars }, recorded,
                           "\(type(of: model)): a pass without a sink must not reach another pass's sink")
            XCTAssertEqual(sink.updatedBuffers(buffers).names, buffers.names)
            // The sink only observes: the same pass without it gives the same outputs.
            let plain = model(x, ForwardContext(parameters: parameters, buffers: buffers, isTraining: true))
            for task in model.taskNames { XCTAssertEqual(plain[task]!.scalars, withSink[task]!.scalars) }
            // Evaluation passes report nothing even with a sink.
            let evaluationSink = BatchNormStatisticsSink()
            _ = model(x, ForwardContext(parameters: parameters, buffers: buffers, isTraining: false, statistics: evaluationSink))
            XCTAssertTrue(evaluationSink.batchStatistics.isEmpty)
        }
    }

    func testEvaluationUsesRunningStatisticsSoSamplesAreIndependentOfTheirBatch() {
        for model in models {
            let parameters = initialParameters(model)
            let x = input(seed: 4)
            // Running statistics from a few training passes.
            var buffers = model.initialBuffers()
            for seed in 5...7 {
                let sink = BatchNormStatisticsSink()
                _ = model(input(seed: UInt64(seed)), ForwardContext(parameters: parameters, buffers: buffers, isTraining: true, statistics: sink))
                buffers = sink.updatedBuffers(buffers, momentum: 0.5)
            }
            let first = x.slice(axis: 0, range: 0..<1)
            for isTraining in [false, true] {
                let context = ForwardContext(parameters: parameters, buffers: buffers, isTraining: isTraining)
                let inBatch = model.head("depth", model.encode(x, context), context).slice(axis: 0, range: 0..<1).scalars
                let alone = model.head("depth", model.encode(concat([first, first], axis: 0), context), context)
                    .slice(axis: 0, range: 0..<1).scalars
                let largest = zip(inBatch, alone).map { abs($0 - $1) }.max()!
                if isTraining {
                    XCTAssertGreaterThan(largest, 1e-3, "\(type(of: model)): training normalises with the batch")
                } else {
                    XCTAssertLessThan(largest, 1e-4, "\(type(of: model)): evaluation normalises with the running statistics")
                }
            }
            // Evaluation reads the buffers: changing one running mean changes the output.
            let layer = batchNormLayers(buffers).sorted().first { $0.hasPrefix("shared.encoder") }!
            var shifted = buffers
            shifted["\(layer).runningMean"] = buffers["\(layer).runningMean"] + 1
            let context = ForwardContext(parameters: parameters, buffers: buffers, isTraining: false)
            XCTAssertNotEqual(model.encode(x, context).scalars,
                              model.encode(x, ForwardContext(parameters: parameters, buffers: shifted, isTraining: false)).scalars)
            XCTAssertEqual(model.encode(x, context).scalars, model.encode(x, context).scalars)
        }
    }
}
