import Foundation

/// A head-to-head benchmark: a base recipe plus a matrix of overrides (strategies × seeds × …),
/// and single-task baseline cells for Δ_MTL.
///
/// ```yaml
/// name: quickstart
/// recipe: quickstart-base.yaml      # the base recipe (relative to this file)
/// output: runs/quickstart
/// matrix:
///   strategy: [ew, uw, pcgrad]
///   seed: [0, 1]
/// baselines: true                   # one single-task EW run per task and seed
/// report: {spread: standard-error}  # optional: how the report summarises (`ReportOptions`)
/// ```
public struct Suite {
    public var file: String
    public var name: String
    public var recipePath: String
    public var output: String
    /// Axis (an override path) → values (YAML text), in file order.
    public var matrix: [(axis: String, values: [String])]
    public var baselines: Bool
    public var overrides: [String]
    /// How the report summarises the cells (`report:`; defaults when absent).
    public var report: ReportOptions

    public static func load(_ path: String, overrides: [String] = []) throws -> Suite {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) }
        catch { throw RecipeError(file: path, line: 1, column: 1, message: "cannot read the suite: \(error.localizedDescription)") }
        let reader = try MappingReader(try YAMLNode.parse(text, file: path), section: "the suite")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let name = try reader.optional("name").map { try MappingReader.text($0, what: "name") }
            ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let recipeNode = try reader.required("recipe", expected: "the base recipe file")
        let recipe = try MappingReader.text(recipeNode, what: "recipe")
        let recipePath = recipe.hasPrefix("/") ? recipe : folder.appendingPathComponent(recipe).path
        guard FileManager.default.fileExists(atPath: recipePath) else {
            throw RecipeError(location: recipeNode.location, message: "recipe file '\(recipe)' does not exist (looked for \(recipePath))")
        }
        let output = try reader.optional("output").map { try MappingReader.text($0, what: "output") } ?? "runs/\(name)"
        var matrix: [(String, [String])] = []
        if let matrixNode = reader.optional("matrix") {
            guard case let .mapping(entries, _) = matrixNode else {
                throw RecipeError(location: matrixNode.location, message: "matrix must map override paths to lists of values")
            }
            for entry in entries {
                let values = try MappingReader.list(entry.value, what: "matrix.\(entry.key)").map { try Suite.yamlText($0) }
                if values.isEmpty { throw RecipeError(location: entry.value.location, message: "matrix.\(entry.key) lists no values") }
                matrix.append((entry.key, values))
            }
        }
        let baselines = try reader.optional("baselines").map { try MappingReader.boolean($0, what: "baselines") } ?? true
        let report = try reader.optional("report").map { try ReportOptions.read($0, axes: matrix.map(\.0)) } ?? ReportOptions()
        try reader.finish()
        return Suite(file: path, name: name, recipePath: recipePath, output: output, matrix: matrix, baselines: baselines, overrides: overrides,
                     report: report)
    }

    /// A value written back as YAML flow text for an override.
    static func yamlText(_ node: YAMLNode) throws -> String {
        switch node {
        case let .scalar(text, _, plain): return plain ? text : "'\(text.replacingOccurrences(of: "'", with: "''"))'"
        case let .sequence(items, _): return "[" + (try items.map(yamlText)).joined(separator: ", ") + "]"
        case let .mapping(entries, _): return "{" + (try entries.map { "\($0.key): \(try yamlText($0.value))" }).joined(separator: ", ") + "}"
        }
    }

    /// One run of the suite.
    public struct Cell: Equatable {
        /// The cell's position in `cells()` (0-based): matrix cells in file order, then baselines.
        /// Stable for a given suite file, so a job array's `SLURM_ARRAY_TASK_ID` names a cell.
        public var index: Int
        /// `strategy=uw,seed=0` — also the folder name.
        public var identifier: String
        public var overrides: [String]
        /// For baseline cells, the single task it trains.
        public var baselineTask: String?
        public var coordinates: [String: String]

        public var folderName: String {
            identifier.map { $0.isLetter || $0.isNumber || "=-_.,".contains($0) ? $0 : "_" }.reduce("") { $0 + String($1) }
        }
    }

    /// Every cell: the matrix product, then (when asked) one single-task baseline per task and seed.
    public func cells() throws -> [Cell] {
        var product: [[(String, String)]] = [[]]
        for (axis, values) in matrix {
            product = product.flatMap { prefix in values.map { prefix + [(axis, $0)] } }
        }
        var cells = product.enumerated().map { index, assignment in
            Cell(index: index, identifier: assignment.map { "\($0.0)=\($0.1)" }.joined(separator: ","),
                 overrides: assignment.map { "\($0.0)=\($0.1)" },
                 baselineTask: nil, coordinates: Dictionary(uniqueKeysWithValues: assignment))
        }
        if baselines {
            let base = try Recipe.load(recipePath, overrides: overrides)
            let seeds = matrix.first { $0.axis == "seed" }?.values ?? ["\(base.seed)"]
            for task in base.tasks {
                for seed in seeds {
                    cells.append(Cell(index: cells.count, identifier: "baseline=\(task.name),seed=\(seed)",
                                      overrides: ["tasks=[{name: \(task.name), role: primary}]", "strategy=ew", "seed=\(seed)", "evaluation.criterion=loss"],
                                      baselineTask: task.name, coordinates: ["baseline": task.name, "seed": seed]))
                }
            }
        }
        return cells
    }

    /// The cells of shard `index` (1-based) of `count`: every count-th cell, so shards are balanced
    /// and their union is the whole suite.
    public func cells(shard index: Int, of count: Int) throws -> [Cell] {
        try cells().filter { $0.index % count == index - 1 }
    }

    /// The cell at `index` of `cells()`; throws naming the valid range.
    public func cell(at index: Int) throws -> Cell {
        let all = try cells()
        guard all.indices.contains(index) else {
            throw CommandError("suite \(name) has cells 0…\(all.count - 1); there is no cell \(index)")
        }
        return all[index]
    }
}
