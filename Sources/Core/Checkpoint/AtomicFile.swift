import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing a file so that a kill, a crash, a power loss or a full disk at any moment leaves either
/// the old file or the new one under its name, never a part of one: the bytes go to
/// `.NAME.PID.tmp` beside the target, are flushed to the disk (`fsync`), then renamed over it.
/// Temporary files of `NAME` left by writers that no longer run are removed afterwards.
///
/// Checkpoints, safetensors files, results and dataset caches are written through it.
public enum AtomicFile {
    /// Why a write failed: the path concerned (the target or its temporary file) and the reason in
    /// plain words. Callers wrap it in their own error type.
    public struct Failure: Error, Equatable {
        public let path: String
        public let problem: String
    }

    /// Writes `data` to `url` atomically, creating its folder when missing.
    public static func write(_ data: Data, to url: URL) throws(Failure) {
        let folder = url.deletingLastPathComponent()
        do { try FileProblem.makeFolder(folder) }
        catch { throw Failure(path: url.path, problem: "cannot create its folder (\(error))") }
        let temporary = temporaryURL(of: url)
        // A leftover of this process, or a link planted under the name, is removed, never written
        // through: the file is created anew (O_EXCL).
        unlink(temporary.path)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw Failure(path: temporary.path, problem: "cannot create the file (\(String(cString: strerror(errno))))")
        }
        var problem = data.withUnsafeBytes { bytes -> Int32? in
            var written = 0
            while written < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return nil
        }
        if problem == nil, fsync(descriptor) != 0 { problem = errno }
        if close(descriptor) != 0, problem == nil { problem = errno }
        if let problem {
            unlink(temporary.path)
            throw Failure(path: temporary.path, problem: "cannot write (\(String(cString: strerror(problem))))")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw Failure(path: url.path, problem: "cannot move the new file into place (\(reason))")
        }
        removeStaleTemporaryFiles(of: url)
    }

    /// This process's temporary file for `url`: `.NAME.PID.tmp` in the same folder (a rename
    /// within one file system is atomic).
    static func temporaryURL(of url: URL) -> URL {
        url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    }

    /// Removes `.NAME.PID.tmp` files beside `url` whose writer process no longer exists; returns
    /// their names.
    @discardableResult
    public static func removeStaleTemporaryFiles(of url: URL) -> [String] {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4)
            guard let pid = Int32(middle), pid > 0 else { continue }
            if pid == ProcessInfo.processInfo.processIdentifier { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // that writer is still running
            if (try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))) != nil { removed.append(name) }
        }
        return removed
    }
}
