/// Whether a task is what the experiment is for (primary) or there to help (auxiliary).
public enum TaskRole: String, Codable, Sendable, CaseIterable {
    case primary, auxiliary
}

/// One task: its name, kind and role, and — for a task a data set provides labels for — the shape
/// of one sample's label. The one task description of every target: a data set lists its tasks
/// with their label shapes, an experiment takes the recipe's tasks from it with the recipe's roles,
/// and the trainer, strategies and metrics read name, kind and role.
public struct TaskSpec: Equatable, Codable, Sendable {
    public var name: String
    public var kind: TaskKind
    public var role: TaskRole
    /// The shape of one sample's label (no batch axis): `[]` for a class per sample, `[H, W]` for
    /// per-pixel classes, `[1, H, W]` for depth, `[3, H, W]` for normals, `[D]` for regression.
    /// Nil for a task not tied to a data set (the gradient-combination surrogates, say).
    public var labelShape: [Int]?

    public init(name: String, kind: TaskKind, role: TaskRole = .primary, labelShape: [Int]? = nil) {
        self.name = name
        self.kind = kind
        self.role = role
        self.labelShape = labelShape
    }
}
