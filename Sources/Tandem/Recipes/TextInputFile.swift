import Foundation
import TandemCore

/// Reads a recipe or suite file as UTF-8 text, saying plainly what is wrong instead of
/// Foundation's "You don't have permission" for anything that is not a regular file: a missing
/// file, a folder, a FIFO (which would block), a device (`/dev/zero` never ends), a socket, a file
/// larger than `maximumSize`, or text that is not UTF-8.
enum TextInputFile {
    /// Far more than any recipe or suite needs; a larger file is refused before it is read.
    static let maximumSize = 4 << 20

    /// The text of `path`, or a `RecipeError` at line 1 naming `what` (e.g. "the recipe").
    static func read(_ path: String, what: String) throws -> String {
        func fail(_ problem: String) -> RecipeError { RecipeError(file: path, line: 1, column: 1, message: "cannot read \(what): \(problem)") }
        var status = stat()
        guard stat(path, &status) == 0 else { throw fail(String(cString: strerror(errno)).lowercased()) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw fail("it is a folder, not a file")
        case S_IFIFO: throw fail("it is a FIFO (named pipe), not a regular file")
        case S_IFCHR, S_IFBLK: throw fail("it is a device, not a regular file")
        case S_IFSOCK: throw fail("it is a socket, not a regular file")
        default: throw fail("it is not a regular file")
        }
        guard Int(status.st_size) <= maximumSize else {
            throw fail("it is \(status.st_size) bytes long; a \(what.replacingOccurrences(of: "the ", with: "")) file may have at most \(maximumSize)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw fail(FileProblem.reason(error)) }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("it is not UTF-8 text") }
        return text
    }
}
