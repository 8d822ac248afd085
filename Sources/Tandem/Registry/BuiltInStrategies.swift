import TandemCore
import TandemStrategies

extension Registry {
    /// Every strategy, model and dataset that ships with Tandem.
    public static var standard: Registry {
        var registry = Registry()
        for strategy in BuiltInStrategies.all { registry.register(strategy) }
        for entry in builtInModels + builtInArchitectures { registry.register(entry) }
        for entry in builtInDatasets { registry.register(entry) }
        return registry
    }
}
