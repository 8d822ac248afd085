import Foundation
import TandemCore

/// The encoder of a run's best validation evaluation, kept for the fine-tuning phase of transfer
/// learning (`PretrainingPhase.swift`): `best-encoder.tandem`, a checkpoint file holding the
/// `shared.` parameters (`parameters.NAME`) and batch-norm buffers (`buffers.NAME`), the step it
/// was taken at (`best.step`) and the recipe's fingerprint (`recipe.SECTION`).
///
/// It is written (atomically) right after each evaluation that lowers the best validation error —
/// before that step's checkpoint — so a run killed at any moment and resumed rewrites it with the
/// same numbers; reading it checks that it belongs to this recipe and to the history's best step.
extension Experiment {
    /// The step of the best validation evaluation so far (the first with the lowest error).
    var bestEvaluationStep: Int? {
        ModelSelection.best.select(from: trainer.history).first.map { trainer.history[$0].step }
    }

    /// Writes `bestEncoderURL` when the run keeps its best encoder and the evaluation just made
    /// (at the current step) is the best one.
    func keepBestEncoderIfNew() throws {
        guard keepsBestEncoder, processGroup.isWriter, let last = trainer.history.last, last.step == trainer.step, bestEvaluationStep == last.step else { return }
        let (parameters, buffers) = trainer.encoderState
        var tensors: [(name: String, tensor: Tensor)] = []
        for (name, tensor) in parameters { tensors.append(("parameters.\(name)", tensor)) }
        for (name, tensor) in buffers { tensors.append(("buffers.\(name)", tensor)) }
        var snapshot = Checkpoint(tensors: tensors, metadata: Data("{}".utf8), attributes: ["best.step": "\(last.step)"])
        for (section, text) in recipe.fingerprint { snapshot.attributes["recipe.\(section)"] = text }
        try snapshot.write(to: bestEncoderURL)
    }

    /// The kept best encoder, after the run: refused, naming the file, when it is missing, was
    /// written for another recipe, or holds another step than the history's best evaluation.
    public func bestEncoder() throws -> (parameters: Parameters, buffers: Parameters) {
        let path = bestEncoderURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(path) does not exist: the pre-training run in \(outputFolder.path) kept no best encoder "
                               + "(the file was removed, or the folder was written by another kind of run); run again without --resume to pre-train afresh")
        }
        let saved = try Checkpoint.read(from: bestEncoderURL)
        try checkSameRecipe(saved, file: bestEncoderURL, purpose: "start the fine-tuning from it")
        let best = bestEvaluationStep.map(String.init) ?? "(no evaluation)"
        guard let step = saved.attributes["best.step"], step == best else {
            throw CommandError("\(path) holds the encoder of step \(saved.attributes["best.step"] ?? "(not recorded)"), but the best validation evaluation "
                               + "of the pre-training run in \(outputFolder.path) is at step \(best) (the folder mixes two runs); run again without --resume to pre-train afresh")
        }
        return (saved.parameters(prefix: "parameters."), saved.parameters(prefix: "buffers."))
    }
}
