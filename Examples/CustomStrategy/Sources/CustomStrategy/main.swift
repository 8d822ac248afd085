import Foundation
import Tandem

// Usage: CustomStrategy RECIPE [key.path=value …]
// Trains the recipe with a registry that knows `norm-equalised` and prints the test metrics.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let recipePath = arguments.first else {
    FileHandle.standardError.write(Data("usage: CustomStrategy RECIPE [key.path=value …]\n".utf8))
    exit(2)
}
do {
    let recipe = try Recipe.load(recipePath, overrides: Array(arguments.dropFirst()))
    let experiment = try Experiment(recipe: recipe, registry: .withNormEqualised)
    let result = try experiment.run()
    print("strategy \(result.strategy): \(result.steps) steps")
    for (task, metrics) in (result.metrics["test"] ?? [:]).sorted(by: { $0.key < $1.key }) {
        print("test \(task): " + metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
