import TandemCore
import TandemModels

extension Registry {
    static var builtInModels: [ModelEntry] {
        [
            ModelEntry(description: ComponentDescription(
                name: "mlp", kind: .model,
                summary: "Multi-layer perceptron: shared Linear–ReLU trunk, one Linear stack per task (inputs flattened).",
                reference: "—",
                options: [
                    OptionSpec("shared_widths", .list(.integer(1...65_536)), default: .list([.integer(64), .integer(64)]), "widths of the shared hidden layers"),
                    OptionSpec("head_widths", .list(.integer(1...65_536)), default: .list([.integer(32)]), "hidden widths of each head (the output layer is added per task)"),
                ])) { options, tasks, inputShape in
                let shared = options.list("shared_widths")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
                let head = options.list("head_widths")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
                return MLP(inputSize: inputShape.reduce(1, *), sharedWidths: shared,
                           heads: tasks.map { (task: $0.name, widths: head + [$0.kind.outputChannels]) })
            },
        ]
    }
}
