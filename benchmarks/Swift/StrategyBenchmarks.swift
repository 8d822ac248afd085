import Foundation
import Tandem
import TandemModels

// One training step of a registered strategy through the real trainer (issue 9's benchmark
// against LibMTL, issue 14's IT cost), on the models of `tandem-bench models`, one fixed random
// batch. benchmarks/peer/strategies.py is LibMTL's side on the same PyTorch models.
//
//   tandem-bench strategy model=multilenet name=pcgrad
//   tandem-bench strategy model=splitvgg name=mgda-ub options='{level: parameters, convention: libmtl}'
//   tandem-bench strategy model=multilenet name=it options='{lookahead: first-order}'
//   tandem-bench strategy model=multilenet mode=forward    # one forward pass + losses, no graph
//   options: batch= height= width= (model defaults as in `models`), split=3, lr=0.01, steps_per_epoch=1
//
// `name` and `options` (a YAML mapping, as under `strategy:` in a recipe) go through the registry
// exactly as a recipe's do. All parameter groups use plain SGD at `lr` (LibMTL's side: one
// torch.optim.SGD over the model and the weighting's own parameters). `steps_per_epoch` (default 1)
// makes every step end an epoch, so epoch-driven strategies (DWA, STCH's warm-up) reach their
// steady state during the warm-up repetitions. `mode=forward` times what one candidate of an
// exact IT lookahead costs: the model and the task losses at the current parameters, no graph, no
// batch-norm statistics written.

func runStrategyBenchmark(_ arguments: [String]) {
    let options = BenchmarkOptions(arguments)
    var modelOptions = options
    modelOptions.positional = [options.string("model", "multilenet")]
    let setup = makeBenchmarkModel(modelOptions)
    let name = options.string("name", "ew")
    let optionText = options.string("options", "")
    let mode = options.string("mode", "step")
    guard ["step", "forward"].contains(mode) else { fail("strategy: mode must be step or forward") }
    let seed = UInt64(options.int("seed", 1))
    var generator = SeededGenerator(seed: seed)
    let (batchSize, height, width) = (setup.inputShape[0], setup.inputShape[2], setup.inputShape[3])
    let input = Tensor.randomNormal(setup.inputShape, generator: &generator)
    var targets: [String: Tensor] = [:]
    for task in setup.tasks {
        targets[task.name] = randomTarget(task.kind, batch: batchSize, height: height, width: width, generator: &generator)
    }

    let registry = Registry.standard
    guard let entry = registry.strategies[name] else {
        fail("strategy: unknown strategy '\(name)'; registered: \(registry.strategyNames.joined(separator: ", "))")
    }
    let strategy: any GradientCombiner
    do {
        let node = optionText.isEmpty ? nil : try YAMLNode.parse(optionText, file: "options")
        let parsed = try Options.parse(node, specs: entry.description.options, owner: name,
                                       environment: registry.optionEnvironment(tasks: setup.tasks.map(\.name)))
        strategy = try entry.make(parsed, registry.buildContext(tasks: setup.tasks, seed: seed))
    } catch {
        fail("strategy: \(name) options '\(optionText)': \(error)")
    }

    let sgd = OptimizerSetting(optimizer: SGD(), learningRate: Float(options.double("lr", 0.01)))
    let data = FixedBatchSource(batch: Batch(input: input, targets: targets), auxiliaryTasks: [],
                                stepsPerEpoch: options.int("steps_per_epoch", 1))
    let trainer = Trainer(model: setup.model, tasks: setup.tasks, strategy: strategy, optimizers: OptimizerGroups(shared: sgd),
                          configuration: TrainerConfiguration(steps: Int.max), data: data, seed: seed)

    var lastLosses: [String: Double] = [:]
    var lastReports: [String: Double] = [:]
    let timing: TimingSummary
    switch mode {
    case "forward":
        timing = Tape.withoutRecording {
            measure(options.policy) {
                let context = ForwardContext(parameters: trainer.parameters, buffers: trainer.buffers, isTraining: true)
                let outputs = setup.model(input, context)
                for task in setup.tasks {
                    lastLosses[task.name] = Double(task.kind.loss(prediction: outputs[task.name]!, target: targets[task.name]!).scalar)
                }
            }
        }
    default:
        timing = measure(options.policy) {
            do {
                let record = try trainer.trainStep()
                lastLosses = record.losses
                lastReports = record.reports
            } catch {
                fail("strategy: \(name) step \(trainer.step): \(error)")
            }
        }
    }
    report(["benchmark": "strategy", "mode": mode, "strategy": name, "options": optionText, "model": setup.name,
            "shape": setup.inputShape.map(String.init).joined(separator: "x"), "tasks": setup.tasks.map(\.name).joined(separator: ","),
            "parameters": trainer.parameters.scalarCount, "last_losses": lastLosses,
            // Solver flags and IT's choices of the last step (small; the full record is in records.jsonl in real runs).
            "reports": lastReports.filter { $0.key.contains("converged") || $0.key.contains("chosen") }], timing)
}
