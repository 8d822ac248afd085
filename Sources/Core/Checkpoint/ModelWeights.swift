import Foundation

/// A model's weights (parameters and batch-norm running statistics) as a safetensors state dict:
/// read to initialise a run (`model.weights=FILE`), written by `tandem export --format
/// safetensors`.
///
/// Names: Tandem's (`shared.…`, `heads.TASK.…`), or — for a model ported from a reference
/// (`ReferenceStateDictionary`) — the reference's state-dict names, so that a PyTorch
/// `torch.save(model.state_dict())` converted with `safetensors.torch.save_file` loads as it is.
/// Loading is strict, as PyTorch's `load_state_dict`: every parameter and running statistic must
/// be in the file with its shape, and nothing else may be, except the reference's
/// `num_batches_tracked` counters (Tandem keeps none; they are written as the step count).
public enum ModelWeights {
    /// The weights of `model` in `file`, replacing `parameters` and `buffers` (the model's initial
    /// ones, which fix the expected names and shapes).
    public static func load(_ file: SafeTensors, model: any MultiTaskModel, parameters: Parameters,
                            buffers: Parameters) throws -> (parameters: Parameters, buffers: Parameters) {
        let reference = model as? any ReferenceStateDictionary
        // File name → Tandem name: both spellings are accepted for a reference model.
        var tandemName: [String: String] = [:]
        for name in parameters.names + buffers.names {
            tandemName[name] = name
            if let alias = reference?.referenceName(of: name) { tandemName[alias] = name }
        }
        var found: [String: String] = [:]
        for name in file.names {
            guard let target = tandemName[name] else {
                if reference != nil && name.hasSuffix(".num_batches_tracked") { continue }
                throw file.fail("tensor '\(name)' is not a parameter or running statistic of the model; expected names such as "
                                + SafeTensors.abbreviated(Array((reference.map { r in parameters.names.compactMap { r.referenceName(of: $0) } } ?? parameters.names).prefix(3))))
            }
            if let earlier = found[target] {
                throw file.fail("tensors '\(earlier)' and '\(name)' are both the model's '\(target)'")
            }
            found[target] = name
        }
        func read(_ template: Parameters) throws -> Parameters {
            var result = Parameters()
            for (name, initial) in template {
                guard let stored = found[name] else {
                    let missing = template.names.filter { found[$0] == nil }
                    throw file.fail("the model's \(missing.count) tensor(s) \(SafeTensors.abbreviated(missing.map { reference?.referenceName(of: $0) ?? $0 })) are missing from the file")
                }
                let tensor = try file.floats(stored)
                guard tensor.shape == initial.shape else {
                    throw file.fail("tensor '\(stored)' has shape \(tensor.shape); the model's '\(name)' needs \(initial.shape)")
                }
                result[name] = tensor
            }
            return result
        }
        return (try read(parameters), try read(buffers))
    }

    /// The checkpoint attribute holding a reference model's names (JSON: Tandem name → reference
    /// name), so that a run folder exports under them without rebuilding the model.
    public static let referenceNamesAttribute = "model.reference_names"

    /// Tandem name → reference name for every one of `names` the reference has; nil when `model`
    /// is not a reference port.
    public static func referenceNames(of model: any MultiTaskModel, names: [String]) -> [String: String]? {
        guard let reference = model as? any ReferenceStateDictionary else { return nil }
        return Dictionary(uniqueKeysWithValues: names.compactMap { name in reference.referenceName(of: name).map { (name, $0) } })
    }

    /// `parameters` and `buffers` as a state dict, under `referenceNames` where given (with a
    /// `num_batches_tracked` of `steps` beside each batch norm's running mean, as PyTorch has
    /// them) and Tandem's names otherwise.
    public static func stateDictionary(parameters: Parameters, buffers: Parameters, referenceNames: [String: String]?,
                                       steps: Int, metadata: [String: String] = [:]) -> SafeTensors {
        var entries: [String: SafeTensors.Entry] = [:]
        for (name, tensor) in parameters.merging(buffers) {
            let stored = referenceNames?[name] ?? name
            entries[stored] = SafeTensors.Entry(tensor)
            if referenceNames?[name] != nil, stored.hasSuffix(".running_mean") {
                entries[String(stored.dropLast("running_mean".count)) + "num_batches_tracked"] = SafeTensors.Entry(integers: [Int64(steps)], shape: [])
            }
        }
        return SafeTensors(entries: entries, metadata: metadata)
    }

    /// The model weights a run's checkpoint holds (`parameters.…` and `buffers.…`), as a state
    /// dict: under the reference's names when the checkpoint records them, with the step count
    /// as `num_batches_tracked`. `source` names the checkpoint in errors.
    public static func stateDictionary(checkpoint: Checkpoint, source: String) throws -> SafeTensors {
        var parameters = Parameters(), buffers = Parameters()
        for (name, tensor) in checkpoint.tensors {
            if name.hasPrefix("parameters.") { parameters[String(name.dropFirst("parameters.".count))] = tensor }
            if name.hasPrefix("buffers.") { buffers[String(name.dropFirst("buffers.".count))] = tensor }
        }
        guard !parameters.isEmpty else { throw CheckpointError(file: source, problem: "holds no model parameters (no parameters.… tensors)") }
        var referenceNames: [String: String]? = nil
        if let text = checkpoint.attributes[referenceNamesAttribute] {
            guard let decoded = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
                throw CheckpointError(file: source, problem: "attribute \(referenceNamesAttribute) is not a JSON object of names")
            }
            referenceNames = decoded
        }
        let step: Int
        do { step = try Trainer.metadataDecoder.decode(Trainer.Metadata.self, from: checkpoint.metadata).step }
        catch { throw CheckpointError(file: source, problem: "unreadable trainer state: \(error)") }
        return stateDictionary(parameters: parameters, buffers: buffers, referenceNames: referenceNames, steps: step,
                               metadata: ["source": source, "steps": String(step), "format": "pt"])
    }
}
