/// Everything a strategy says about itself, written once in its own file: what `tandem list`,
/// `tandem describe`, recipe checking, the generated `docs/strategies/` pages and the property
/// tests read.
public struct StrategyDescription: Sendable {
    /// The registry name (`"pcgrad"`).
    public var name: String
    /// The title (`"PCGrad — gradient surgery"`).
    public var title: String
    /// The update in one line (`"p_i ← g_i − Σ_{j: p_i·g_j<0} (p_i·g_j/‖g_j‖²) g_j; d = Σ p_i"`).
    public var formula: String
    /// The paper it follows.
    public var paper: String
    /// Its options, with types, ranges and defaults.
    public var options: [OptionSpec]
    /// What a step costs beyond equal weighting.
    public var cost: String
    /// Conventions chosen where papers and reference codes differ (sum vs mean, rescaling, …).
    public var conventions: [String]
    /// What the method promises (the property tests check it).
    public var behaviour: StrategyBehaviour
    /// The strategy optimiser a recipe gets when it sets no `strategy_optimizer` (nil: the shared
    /// group's). For strategies whose meta-parameters have their own published optimiser.
    public var defaultStrategyOptimizer: OptimizerDefault?

    public init(name: String, title: String, formula: String, paper: String, options: [OptionSpec] = [], cost: String,
                conventions: [String] = [], behaviour: StrategyBehaviour = StrategyBehaviour(),
                defaultStrategyOptimizer: OptimizerDefault? = nil) {
        self.name = name
        self.title = title
        self.formula = formula
        self.paper = paper
        self.options = options
        self.cost = cost
        self.conventions = conventions
        self.behaviour = behaviour
        self.defaultStrategyOptimizer = defaultStrategyOptimizer
    }

    /// The generic component view (`tandem list`, recipe checking).
    public var component: ComponentDescription {
        ComponentDescription(name: name, kind: .strategy, summary: "\(title): \(formula)", reference: paper, options: options)
    }
}

/// What a strategy promises about its combined direction d(G, L), checked by the property kit on
/// every registered strategy.
public struct StrategyBehaviour: Sendable {
    /// How d responds to scaling every task gradient by c > 0.
    public enum Scaling: String, Sendable {
        /// d(cG) = c·d(G).
        case homogeneous
        /// d(cG) = d(G).
        case invariant
        /// No simple law (the reason belongs in `conventions`).
        case unspecified
    }

    /// Which task roles the method needs.
    public enum Roles: String, Sendable {
        /// Any; every task primary in the tests.
        case any
        /// Exactly one primary task; the others auxiliary.
        case onePrimary
    }

    /// Relabelling tasks permutes the result consistently (false for methods that draw a random
    /// task order; the kit then checks relabelling with two tasks, where the order is forced).
    public var orderInvariant: Bool
    public var scaling: Scaling
    public var roles: Roles
    /// With pairwise non-conflicting gradients (all g_i·g_j ≥ 0), d = the plain sum Σ g_t
    /// (surgery methods that only act on conflicts).
    public var leavesNonConflictingSum: Bool
    /// One task alone gives a positive multiple of its gradient.
    public var singleTaskIsPlainTraining: Bool
    /// Random by design (RLW, GradDrop): d is a positive combination of the task gradients,
    /// but identical inputs need not give identical outputs across fresh instances.
    public var isRandomised: Bool

    public init(orderInvariant: Bool = true, scaling: Scaling = .homogeneous, roles: Roles = .any,
                leavesNonConflictingSum: Bool = false, singleTaskIsPlainTraining: Bool = true, isRandomised: Bool = false) {
        self.orderInvariant = orderInvariant
        self.scaling = scaling
        self.roles = roles
        self.leavesNonConflictingSum = leavesNonConflictingSum
        self.singleTaskIsPlainTraining = singleTaskIsPlainTraining
        self.isRandomised = isRandomised
    }
}

/// A published optimiser for a strategy's meta-parameters.
public struct OptimizerDefault: Sendable, Equatable {
    public enum Kind: String, Sendable { case sgd, adam }
    public var kind: Kind
    public var learningRate: Double
    public var weightDecay: Double

    public init(_ kind: Kind, learningRate: Double, weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay
    }
}
