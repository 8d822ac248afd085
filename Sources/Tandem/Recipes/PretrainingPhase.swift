import Foundation
import TandemCore

/// Transfer learning as two phases of one recipe (the TMT paper's "Transfer learning" baseline):
/// a recipe with a `pretraining:` section first pre-trains on the auxiliary labels of every
/// training image, then fine-tunes on the primary labels, starting from the pre-trained encoder.
///
/// ```yaml
/// tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}]
/// labels: {parallel_fraction: 0.1, alternate_every: 4}   # fine-tuning: X, the parallel set
/// optimizer: {name: sgd, learning_rate: 0.005}           # fine-tuning: the backbone
/// heads_optimizer: {learning_rate: 0.05}                 # fine-tuning: the new primary head
/// budget: {steps: 8000, batch_size: 2}
/// pretraining:                                           # phase 1, sections over the recipe's
///   optimizer: {name: sgd, learning_rate: 0.1}
///   budget: {steps: 40000}
///   evaluation: {every: 200, patience: 10}
/// ```
///
/// **Phase 1, pre-training** (run into `OUTPUT/pretraining/`): the recipe with its auxiliary tasks
/// as the only tasks (role primary, so their mean validation loss is the criterion), no `labels`
/// (every training image: X^A), `strategy: ew`, `evaluation` with `selection: best, criterion:
/// loss` — then the `pretraining:` sections merged over that, as a recipe over its `base:`. The
/// encoder of its best validation evaluation (early stopping; `evaluation.patience` also stops the
/// phase) is kept in `OUTPUT/pretraining/best-encoder.tandem`.
///
/// **Phase 2, fine-tuning** (the run itself, in `OUTPUT/`): the recipe's primary tasks only, with
/// `labels` every batch from the parallel set X (`alternate_every` becomes 1), the recipe's own
/// optimisers, budget and evaluation; its encoder (parameters and batch-norm statistics) starts
/// from phase 1's best, its heads and optimiser states fresh.
///
/// Both phases run in one `tandem train` (one suite cell, one Slurm array task), so nothing else
/// has to order them; `--resume` resumes whichever phase was interrupted. Dataset, model and seed
/// are shared by construction: `pretraining:` may not set them.
extension Recipe {
    /// The sections `pretraining:` may set.
    static let pretrainingSections = ["strategy", "optimizer", "heads_optimizer", "strategy_optimizer", "budget", "evaluation",
                                      "checkpoint_every", "tasks", "labels", "transference"]

    /// The pre-training phase's recipe (nil without a `pretraining:` section).
    public func pretrainingRecipe() throws -> Recipe? {
        try pretrainingDocument.map { try Recipe(node: $0, file: file) }
    }

    /// Phase 1's recipe tree: `recipe` with the auxiliary `tasks` as primaries, no `labels`,
    /// `strategy: ew`, best-validation selection on the loss, then `section` merged over it.
    static func pretrainingDocument(recipe: YAMLNode, section: YAMLNode, tasks: [TaskChoice]) throws -> YAMLNode {
        guard case let .mapping(blockEntries, blockLocation) = section else {
            throw RecipeError(location: section.location, message: "pretraining must be a mapping of recipe sections (budget:, optimizer:, evaluation:, …), found \(section.kindName)")
        }
        for entry in blockEntries where !pretrainingSections.contains(entry.key) {
            if ["dataset", "model", "seed"].contains(entry.key) {
                throw RecipeError(location: entry.keyLocation,
                                  message: "pretraining cannot set `\(entry.key)`: the encoder it trains is the one fine-tuned, so both phases share the dataset, the model and the seed")
            }
            throw RecipeError(location: entry.keyLocation, message: NameSuggestion.unknown("key in pretraining", entry.key, valid: pretrainingSections))
        }
        let auxiliary = tasks.filter { $0.role == .auxiliary }
        guard !auxiliary.isEmpty else {
            throw RecipeError(location: blockLocation,
                              message: "pretraining (transfer learning) pre-trains on the auxiliary tasks: the recipe needs at least one task with role auxiliary")
        }
        guard case let .mapping(entries, location) = recipe else { return recipe }
        func scalar(_ text: String) -> YAMLNode { .scalar(text, blockLocation, plain: true) }
        var derived: [(key: String, keyLocation: SourceLocation, value: YAMLNode)] = []
        for entry in entries where !["pretraining", "labels", "transference"].contains(entry.key) {
            switch entry.key {
            case "name":
                if case let .scalar(name, nameLocation, _) = entry.value {
                    derived.append((entry.key, entry.keyLocation, .scalar(name + "-pretraining", nameLocation, plain: false)))
                }
            case "tasks":
                derived.append((entry.key, entry.keyLocation, .sequence(auxiliary.map { task in
                    .mapping([("name", task.location, .scalar(task.name, task.location, plain: false)), ("role", blockLocation, scalar("primary"))], task.location)
                }, entry.value.location)))
            case "strategy":
                derived.append((entry.key, entry.keyLocation, scalar("ew")))
            case "evaluation":
                var evaluation: [(key: String, keyLocation: SourceLocation, value: YAMLNode)] = []
                if case let .mapping(items, _) = entry.value {
                    evaluation = items.filter { !["selection", "window", "criterion"].contains($0.key) }
                }
                evaluation += [("selection", blockLocation, scalar("best")), ("criterion", blockLocation, scalar("loss"))]
                derived.append((entry.key, entry.keyLocation, .mapping(evaluation, entry.value.location)))
            default:
                derived.append(entry)
            }
        }
        if !derived.contains(where: { $0.key == "evaluation" }) {
            derived.append(("evaluation", blockLocation, .mapping([("selection", blockLocation, scalar("best")),
                                                                   ("criterion", blockLocation, scalar("loss"))], blockLocation)))
        }
        return RecipeDocument.merge(base: .mapping(derived, location), over: section)
    }
}
