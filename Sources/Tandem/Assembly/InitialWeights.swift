import Foundation
import TandemCore

extension Experiment {
    /// Starts `trainer`'s model from the safetensors file at `path` (`model.weights`): names
    /// Tandem's or the model's reference implementation's, every parameter and running statistic
    /// present with its shape (`ModelWeights.load`). Errors name the recipe line and the file.
    static func loadWeights(_ path: String, at location: SourceLocation, into trainer: Trainer) throws {
        do {
            let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
            let (parameters, buffers) = try ModelWeights.load(file, model: trainer.model, parameters: trainer.parameters, buffers: trainer.buffers)
            try trainer.initializeWeights(parameters: parameters, buffers: buffers, source: path)
        } catch {
            throw RecipeError(location: location, message: "model.weights: \(error)")
        }
    }
}
