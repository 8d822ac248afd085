import ArgumentParser
import Foundation
import Tandem
import TandemCore

/// `tandem export RUN --format safetensors`: a run's model weights for other tools.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's model weights (parameters and batch-norm running statistics) as safetensors.",
        discussion: """
        Reads RUN/checkpoint.tandem (the latest state of the run) and writes its model's weights. \
        A model ported from a reference implementation (segnet, segnet-mtan) is written under the \
        reference's state-dict names, with num_batches_tracked set to the run's step count, so that \
        PyTorch loads it with `model.load_state_dict(safetensors.torch.load_file(FILE))`; other \
        models under Tandem's names. Any such file starts a run again with `model.weights=FILE`. Example:
          tandem export runs/nyuv2-segnet-mtan --format safetensors --output segnet-mtan.safetensors
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case safetensors }

    @Argument(help: ArgumentHelp("The run folder (it holds checkpoint.tandem).", valueName: "run")) var runFolder: String
    @Option(help: "The format to write: safetensors.") var format: Format
    @Option(help: "The file to write (default: RUN/model.safetensors).") var output: String?

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder)
        let checkpointURL = folder.appendingPathComponent("checkpoint.tandem")
        guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
            throw inputError("\(runFolder) holds no checkpoint.tandem: give the folder of a run (its `output:`) that has taken at least one checkpoint")
        }
        let target = output.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("model.safetensors")
        do {
            let checkpoint = try Checkpoint.read(from: checkpointURL)
            let weights = try ModelWeights.stateDictionary(checkpoint: checkpoint, source: checkpointURL.path)
            try weights.write(to: target)
            let names = weights.entries.keys.contains { $0.hasSuffix("num_batches_tracked") } ? "the reference's names" : "Tandem's names"
            print("wrote \(weights.entries.count) tensors (\(names)) to \(target.path)")
        } catch {
            throw inputError("\(error)")
        }
    }
}
