import TandemCore

/// A strategy's estimated cost per training step relative to equal weighting, from what it declares
/// it needs (`CombinerRequirements`), so a job array can ask for more time for dearer cells.
///
/// In units of one forward pass (a backward pass counts two), with T tasks:
/// * losses only, or gradients at the representation z: 1 forward + 1 backward = 3 (the T head
///   backwards to z are small next to the encoder's);
/// * per-task gradients at the shared parameters: 1 + 2T (T encoder backwards);
/// * extra forward passes (lookaheads): + T + 1 (about one per candidate);
/// * a second batch or meta steps on the parallel set: + 3 (one more forward and backward);
/// * second-order gradients: × 2.
///
/// The factor is that total over 3. It is an estimate for scheduling, never reported as a measurement.
public enum StrategyCost {
    public static func factor(requirements: CombinerRequirements, taskCount: Int) -> Double {
        let tasks = Double(max(1, taskCount))
        var units = requirements.contains(.sharedParameterGradients) ? 1 + 2 * tasks : 3
        if requirements.contains(.extraForwardPasses) { units += tasks + 1 }
        if requirements.contains(.secondBatch) || requirements.contains(.parallelMetaSteps) { units += 3 }
        if requirements.contains(.secondOrderGradients) { units *= 2 }
        return units / 3
    }

    /// The factor of `recipe`'s strategy, built from the registry with the recipe's tasks.
    /// Requirements are a property of the strategy and its options, not of task kinds, so the tasks
    /// are given to the constructor with their names and roles only (kind: one regression output).
    /// A recipe with a `pretraining:` phase adds that phase's factor times its steps over the
    /// recipe's (both phases run in one cell; an upper bound when early stopping ends phase 1 sooner).
    public static func factor(of recipe: Recipe, registry: Registry = .standard) throws -> Double {
        let (_, _, strategyOptions) = try Experiment.check(recipe, registry: registry)
        let tasks = recipe.tasks.map { TaskSpec(name: $0.name, kind: .regression(outputs: 1), role: $0.role) }
        let strategy = try registry.strategies[recipe.strategy.name]!.make(strategyOptions, registry.buildContext(tasks: tasks, seed: recipe.seed))
        var total = factor(requirements: strategy.declaredRequirements, taskCount: tasks.count)
        if let phase = try recipe.pretrainingRecipe(), recipe.steps > 0 {
            // With an epoch budget the step count is known only with the data: count one recipe's worth.
            total += try factor(of: phase, registry: registry) * (phase.steps > 0 ? Double(phase.steps) / Double(recipe.steps) : 1)
        }
        return total
    }
}
