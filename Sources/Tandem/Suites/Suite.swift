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
/// report: {spread: standard-error}  # optional: how the report summarises (`ReportOptions`), e.g. {reference: ew}
/// include: [quickstart-extra.yaml]  # optional: rows with other base recipes (below)
/// ```
///
/// `include:` lists other suite files (relative to this one) whose matrix cells join this suite:
/// each keeps its own base recipe and matrix, and runs, is reported and is indexed (after this
/// suite's matrix cells, before the baselines) as a cell of this suite, in this suite's output
/// folder — rows such as TMT's Primary only, Oracle or Transfer learning, which differ from the
/// base recipe in several sections at once. An included suite may not include others or have
/// baselines of its own (this suite's baselines are the only ones), and every cell's identifier
/// must be unique over the whole suite.
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
    /// The suites of `include:`, whose matrix cells are cells of this suite.
    public var includes: [Suite] = []

    public static func load(_ path: String, overrides: [String] = []) throws -> Suite {
        try load(path, overrides: overrides, includedFrom: [])
    }

    /// The most matrix cells a suite may have (its own and its included suites' together, before
    /// baselines): a few lines of YAML can ask for a product of 10⁸ cells, which would exhaust
    /// memory or write that many folders; a real comparison has hundreds.
    public static let maximumCells = 4096

    /// Loads `path`, which the suites `includedFrom` (outermost first) include. An included suite
    /// may not include others, so its `include:` is refused before anything it names is read: a
    /// cycle (a includes b includes a) ends there instead of recursing until the stack overflows.
    static func load(_ path: String, overrides: [String], includedFrom chain: [String]) throws -> Suite {
        let text = try TextInputFile.read(path, what: "the suite")
        let reader = try MappingReader(try YAMLNode.parse(text, file: path), section: "the suite")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let nameNode = reader.optional("name")
        let name = try nameNode.map { try MappingReader.text($0, what: "name") }
            ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if let problem = RunName.problem(with: name) {
            throw nameNode.map { RecipeError(location: $0.location, message: problem) }
                ?? RecipeError(file: path, line: 1, column: 1, message: "\(problem) (the name comes from the file name; add `name:`)")
        }
        let recipeNode = try reader.required("recipe", expected: "the base recipe file")
        let recipe = try MappingReader.text(recipeNode, what: "recipe")
        let recipePath = recipe.hasPrefix("/") ? recipe : folder.appendingPathComponent(recipe).path
        guard FileManager.default.fileExists(atPath: recipePath) else {
            throw RecipeError(location: recipeNode.location, message: "recipe file '\(recipe)' does not exist (looked for \(recipePath))")
        }
        let output = try reader.optional("output").map { node in
            let text = try MappingReader.text(node, what: "output")
            if let problem = RunFolderPath.problem(with: text) { throw RecipeError(location: node.location, message: problem) }
            return text
        } ?? "runs/\(name)"
        var matrix: [(String, [String])] = []
        if let matrixNode = reader.optional("matrix") {
            guard case let .mapping(entries, _) = matrixNode else {
                throw RecipeError(location: matrixNode.location, message: "matrix must map override paths to lists of values")
            }
            for entry in entries {
                let values = try MappingReader.list(entry.value, what: "matrix.\(entry.key)").map { try Suite.yamlText($0) }
                if values.isEmpty { throw RecipeError(location: entry.value.location, message: "matrix.\(entry.key) lists no values") }
                var seen = Set<String>()
                if let repeated = values.first(where: { !seen.insert($0).inserted }) {
                    throw RecipeError(location: entry.value.location,
                                      message: "matrix.\(entry.key) lists \(repeated) twice; the two cells would share one run folder")
                }
                matrix.append((entry.key, values))
            }
            let sizes = matrix.map(\.1.count)
            if Suite.product(sizes) > Suite.maximumCells {
                throw RecipeError(location: matrixNode.location,
                                  message: "the matrix has \(sizes.map(String.init).joined(separator: " × ")) cells, more than the \(Suite.maximumCells) a suite may have; "
                                           + "split it into several suites")
            }
        }
        let baselines = try reader.optional("baselines").map { try MappingReader.boolean($0, what: "baselines") } ?? true
        var includes: [Suite] = []
        if let includeNode = reader.optional("include") {
            if let includer = chain.last {
                throw RecipeError(location: includeNode.location,
                                  message: "this suite is included by \(includer) and has an `include:` of its own; "
                                           + "list every suite in the outermost one instead (includes do not nest, so they cannot form a cycle)")
            }
            for item in try MappingReader.list(includeNode, what: "include") {
                let text = try MappingReader.text(item, what: "include")
                let includedPath = text.hasPrefix("/") ? text : folder.appendingPathComponent(text).path
                guard FileManager.default.fileExists(atPath: includedPath) else {
                    throw RecipeError(location: item.location, message: "included suite '\(text)' does not exist (looked for \(includedPath))")
                }
                guard URL(fileURLWithPath: includedPath).standardizedFileURL != URL(fileURLWithPath: path).standardizedFileURL else {
                    throw RecipeError(location: item.location, message: "a suite cannot include itself")
                }
                let included = try Suite.load(includedPath, overrides: overrides, includedFrom: chain + [path])
                guard !included.baselines else {
                    throw RecipeError(location: item.location,
                                      message: "included suite '\(text)' has baselines (`baselines` is true or absent there): set `baselines: false` in it — this suite's baselines are the only ones")
                }
                includes.append(included)
                let total = ([matrix] + includes.map(\.matrix)).reduce(0) { $0 + Suite.product($1.map(\.values.count)) }
                if total > Suite.maximumCells {
                    throw RecipeError(location: item.location,
                                      message: "with included suite '\(text)' the suite has \(total) matrix cells, more than the \(Suite.maximumCells) a suite may have; "
                                               + "split it into several suites")
                }
            }
        }
        var suite = Suite(file: path, name: name, recipePath: recipePath, output: output, matrix: matrix, baselines: baselines, overrides: overrides,
                          report: ReportOptions())
        suite.includes = includes
        // Read after the includes: a reference row may be one of theirs.
        suite.report = try reader.optional("report").map { try ReportOptions.read($0, axes: matrix.map(\.0), rows: suite.rowAxes) } ?? ReportOptions()
        try reader.finish()
        return suite
    }

    /// Every matrix axis of this suite and its included suites with its values (in file order,
    /// each value once): what a report's reference row (`ReferenceRow`) can name.
    public var rowAxes: [(axis: String, values: [String])] {
        var rows: [(axis: String, values: [String])] = []
        for (axis, values) in matrix + includes.flatMap(\.matrix) {
            if let index = rows.firstIndex(where: { $0.axis == axis }) {
                rows[index].values += values.filter { !rows[index].values.contains($0) }
            } else {
                rows.append((axis, values))
            }
        }
        return rows
    }

    /// The product of `sizes`, saturating at `Int.max` (a matrix's cell count, computed before any
    /// cell is made).
    static func product(_ sizes: [Int]) -> Int {
        sizes.reduce(1) { total, size in
            let (result, overflow) = total.multipliedReportingOverflow(by: size)
            return overflow ? Int.max : result
        }
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
        /// The cell's position in `cells()` (0-based): matrix cells in file order, then the included
        /// suites' matrix cells, then baselines.
        /// Stable for a given suite file, so a job array's `SLURM_ARRAY_TASK_ID` names a cell.
        public var index: Int
        /// `strategy=uw,seed=0` — also the folder name.
        public var identifier: String
        /// The base recipe the cell's overrides apply to (the suite's, or an included suite's).
        public var recipePath: String
        public var overrides: [String]
        /// For baseline cells, the single task it trains.
        public var baselineTask: String?
        public var coordinates: [String: String]

        public var folderName: String {
            identifier.map { $0.isLetter || $0.isNumber || "=-_.,".contains($0) ? $0 : "_" }.reduce("") { $0 + String($1) }
        }
    }

    /// The matrix product of this suite alone, indexed from `first`.
    func matrixCells(startingAt first: Int) -> [Cell] {
        var product: [[(String, String)]] = [[]]
        for (axis, values) in matrix {
            product = product.flatMap { prefix in values.map { prefix + [(axis, $0)] } }
        }
        return product.enumerated().map { index, assignment in
            Cell(index: first + index, identifier: assignment.map { "\($0.0)=\($0.1)" }.joined(separator: ","), recipePath: recipePath,
                 overrides: assignment.map { "\($0.0)=\($0.1)" },
                 baselineTask: nil, coordinates: Dictionary(uniqueKeysWithValues: assignment))
        }
    }

    /// Every cell: the matrix product, the included suites' matrix cells (in `include:` order),
    /// then (when asked) one single-task baseline per task and seed. Throws, naming both suite
    /// files, when two cells have the same identifier.
    public func cells() throws -> [Cell] {
        var cells = matrixCells(startingAt: 0)
        var origin = Dictionary(cells.map { ($0.identifier, file) }, uniquingKeysWith: { first, _ in first })
        for included in includes {
            for cell in included.matrixCells(startingAt: cells.count) {
                if let other = origin[cell.identifier] {
                    throw CommandError("suite \(file): cell \(cell.identifier) of the included suite \(included.file) is also a cell of \(other); "
                                       + "give the included rows a distinguishing axis (e.g. `name: [primary-only]`)")
                }
                origin[cell.identifier] = included.file
                cells.append(cell)
            }
        }
        if baselines {
            let base = try Recipe.load(recipePath, overrides: overrides)
            let seeds = matrix.first { $0.axis == "seed" }?.values ?? ["\(base.seed)"]
            for task in base.tasks {
                for seed in seeds {
                    cells.append(Cell(index: cells.count, identifier: "baseline=\(task.name),seed=\(seed)", recipePath: recipePath,
                                      overrides: ["tasks=[{name: \(task.name), role: primary}]", "strategy=ew", "seed=\(seed)", "evaluation.criterion=loss"],
                                      baselineTask: task.name, coordinates: ["baseline": task.name, "seed": seed]))
                }
            }
        }
        // Folder names replace characters such as `/` by `_`: two cells must never share a folder.
        var folders: [String: String] = [:]
        for cell in cells {
            if let other = folders.updateValue(cell.identifier, forKey: cell.folderName) {
                throw CommandError("suite \(file): cells \(other) and \(cell.identifier) would share the run folder cells/\(cell.folderName); "
                                   + "make their matrix values differ in letters or digits, not only in punctuation")
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
