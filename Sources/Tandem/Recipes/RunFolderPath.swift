import Foundation

/// The rule for a run or suite output folder (`output:` in a recipe or suite, `--output`): a path
/// without control characters and without `..` components, that is neither the file-system root
/// nor the current directory or one of its ancestors. Tandem writes and removes its own files
/// (`records.jsonl`, `checkpoint.tandem`, `.lock`, `cells/`) there, so such a folder would put
/// them among the user's files.
public enum RunFolderPath {
    /// Why `path` cannot be an output folder, or `nil` when it can.
    public static func problem(with path: String) -> String? {
        if path.trimmingCharacters(in: .whitespaces).isEmpty { return "the output folder must be a path, found an empty value" }
        if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the output folder \(SlurmDirective.visible(path)) contains a control character (e.g. a newline)"
        }
        if path.split(separator: "/").contains("..") {
            return "the output folder '\(path)' has a '..' component; name the folder without '..'"
        }
        let folder = URL(fileURLWithPath: path).standardizedFileURL.path
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        if folder == "/" || current == folder || current.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") {
            return "the output folder '\(path)' is \(folder == "/" ? "the file-system root" : "the current directory or one of its parents"); "
                + "runs write and remove files there — choose a folder of its own, e.g. runs/NAME"
        }
        return nil
    }

    /// Throws a `CommandError` (for `--output` and other paths without a file position).
    public static func check(_ path: String) throws {
        if let problem = problem(with: path) { throw CommandError(problem) }
    }
}
