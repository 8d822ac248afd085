import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ties a suite's child process to its parent: the parent sets `TANDEM_PARENT_PID` in the child's
/// environment, and the child asks the kernel (`PR_SET_PDEATHSIG`) for SIGTERM when the parent
/// dies — however it dies, SIGKILL included — so killing `tandem suite --jobs 2` stops its children.
public enum ParentDeathSignal {
    public static let environmentKey = "TANDEM_PARENT_PID"

    /// Call first thing in a child. Does nothing without `TANDEM_PARENT_PID`; exits at once (status
    /// 143, as for SIGTERM) when the parent named there has already gone.
    public static func stopWithParent(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment[environmentKey], let parent = Int32(text) else { return }
        requestSignalOnParentDeath(SIGTERM)
        // The parent may have died before the request was in place: then we were re-parented.
        if getppid() != parent {
            FileHandle.standardError.write(Data("tandem: the suite process \(parent) that started this run has gone; stopping\n".utf8))
            exit(143)
        }
    }

    /// `prctl(PR_SET_PDEATHSIG, signal)`. prctl is variadic in C, which Swift does not import, so it
    /// is called through its address with the fixed five-argument form the kernel takes.
    static func requestSignalOnParentDeath(_ signal: Int32) {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let setParentDeathSignal: Int32 = 1   // PR_SET_PDEATHSIG in <linux/prctl.h>
        _ = prctl(setParentDeathSignal, UInt(signal), 0, 0, 0)
        #endif
    }
}
