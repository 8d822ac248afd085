import Foundation

/// A run folder's own files must be plain files: a symbolic link planted in their place (`.lock`,
/// `records.jsonl`, `checkpoint.tandem`, …) would make a run overwrite, append to or read the
/// link's target, wherever it is. A run refuses to start, naming the link and its target, until it
/// is removed.
enum RunFolderLinks {
    /// The files a run writes or reads in its folder.
    static let runFiles = [".lock", "records.jsonl", "checkpoint.tandem", "result.json", "best-encoder.tandem",
                           "train.log", "cell.json", "pretraining"]

    /// Throws a `CommandError` when one of `names` in `folder` is a symbolic link.
    static func refuse(in folder: URL, names: [String] = runFiles) throws {
        for name in names {
            let path = folder.appendingPathComponent(name).path
            var status = stat()
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { continue }
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            throw CommandError("\(path) is a symbolic link (to \(target)); a run never follows links among its own files — "
                               + "remove it (the run recreates the file) and start again")
        }
    }
}
