/// One parameter group's optimiser, base learning rate and schedule.
public struct OptimizerSetting {
    public var optimizer: any Optimizer
    public var learningRate: Float
    public var schedule: LearningRateSchedule

    public init(optimizer: any Optimizer, learningRate: Float, schedule: LearningRateSchedule = .constant) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.schedule = schedule
    }

    public func rate(at step: Int) -> Float { schedule.rate(base: learningRate, step: step) }
}

/// The three parameter groups a multi-task run trains, each with its own optimiser:
/// the shared encoder, the task heads, and the strategy's own parameters (σ, …).
public struct OptimizerGroups {
    public static let names = ["shared", "heads", "strategy"]
    public var shared: OptimizerSetting
    public var heads: OptimizerSetting
    public var strategy: OptimizerSetting

    public init(shared: OptimizerSetting, heads: OptimizerSetting? = nil, strategy: OptimizerSetting? = nil) {
        self.shared = shared
        self.heads = heads ?? shared
        self.strategy = strategy ?? shared
    }

    public subscript(group: String) -> OptimizerSetting {
        switch group {
        case "shared": return shared
        case "heads": return heads
        default: return strategy
        }
    }

    public func learningRates(at step: Int) -> [String: Float] {
        ["shared": shared.rate(at: step), "heads": heads.rate(at: step), "strategy": strategy.rate(at: step)]
    }
}
