/// The rule for a recipe's or suite's `name:`, which becomes a folder (`runs/NAME`) and a label in
/// tables and Slurm job names: one path component of printable characters — not empty, not `.`
/// or `..`, without `/`, `\` or control characters (a newline above all), at most 200 characters.
/// So a name can never lead a run outside `runs/` or into another run's folder.
enum RunName {
    /// Why `name` cannot be a recipe or suite name (for a `RecipeError` at the `name:` field), or `nil`.
    static func problem(with name: String) -> String? {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return "name must not be empty" }
        if name == "." || name == ".." { return "name must not be '\(name)': it would name a folder outside runs/" }
        if name.contains("/") || name.contains("\\") {
            return "name \(SlurmDirective.visible(name)) contains a path separator; a name is one folder name (use - or _ instead)"
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "name \(SlurmDirective.visible(name)) contains a control character (e.g. a newline)"
        }
        if name.count > 200 { return "name is \(name.count) characters long; at most 200 are allowed" }
        return nil
    }
}
