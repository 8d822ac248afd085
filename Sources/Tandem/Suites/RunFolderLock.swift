import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a run folder (`FOLDER/.lock`, `flock`), held while a run writes there, so two
/// writers — a suite rerun while an old child still trains, a local run beside a Slurm task — can
/// never run on one cell. The kernel releases it when the holder exits, however it exits, so a
/// killed run never leaves a stale lock. The file holds the holder's process id and host.
public final class RunFolderLock {
    public let url: URL
    private var descriptor: Int32

    /// Takes the lock or throws, naming the folder and the process that holds it.
    public init(folder: URL) throws {
        url = folder.appendingPathComponent(".lock")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        catch { throw CommandError("cannot create \(folder.path): \(error.localizedDescription)") }
        // O_NOFOLLOW: a symbolic link planted as `.lock` is refused, never its target truncated.
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link; remove it (the run recreates it)" : String(cString: strerror(errno))
            throw CommandError("cannot open the lock file \(url.path): \(reason)")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw CommandError("\(folder.path) is being written by another run (\(holder.isEmpty ? "holder unknown" : holder)); "
                               + "wait for it to end or stop it first")
        }
        let text = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// The process id written by the holder, if the file names one (for tools and tests).
    public static func holder(of folder: URL) -> Int32? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent(".lock"), encoding: .utf8) else { return nil }
        let words = text.split(separator: " ")
        guard words.count >= 2, words[0] == "pid" else { return nil }
        return Int32(words[1])
    }

    /// Whether some process holds the lock of `folder` now.
    public static func isHeld(_ folder: URL) -> Bool {
        let descriptor = open(folder.appendingPathComponent(".lock").path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { flock(descriptor, LOCK_UN); return false }
        return true
    }

    /// Releases the lock (also done when the lock is deallocated or the process exits).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
