import Foundation

/// Plain-language reasons for file-system errors, so messages say "No space left on device" or
/// "Not a directory" instead of dumping an `NSCocoaErrorDomain` error.
public enum FileProblem {
    /// The reason behind `error`: the POSIX error underneath a Foundation error when there is one,
    /// else a description of the Foundation error code.
    public static func reason(_ error: Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            case .fileWriteOutOfSpace: return "no space left on device"
            case .fileWriteVolumeReadOnly: return "read-only file system"
            case .fileWriteFileExists: return "a file with that name is in the way"
            case .fileWriteInvalidFileName, .fileReadInvalidFileName: return "invalid file name"
            case .fileReadCorruptFile: return "the file is damaged"
            case .fileReadTooLarge: return "the file is too large"
            default: return "file error \(ns.code)"
            }
        }
        return "\(error)"
    }

    /// Creates `url` and its missing parents; on failure throws a `FileProblemError` naming the
    /// exact path that could not be made and why ("/runs/a is a file, not a folder").
    public static func makeFolder(_ url: URL) throws {
        var missing: [String] = []
        var path = url.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        while !path.isEmpty, path != "/" {
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw FileProblemError(path: path, reason: "it is a file, not a folder") }
                break
            }
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() where mkdir(folder, 0o777) != 0 && errno != EEXIST {
            throw FileProblemError(path: folder, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
    }
}

/// A file or folder that could not be made or written, with the reason in plain words.
public struct FileProblemError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
