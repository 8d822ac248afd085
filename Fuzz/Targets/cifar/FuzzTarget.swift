import Foundation
import TandemFuzzing

/// libFuzzer entry point for the `cifar` reader: a crash or hang is a finding; so is a rejection
/// that does not name the file (reported by trapping, so libFuzzer saves the input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    if case let .unnamed(message) = FuzzReader.cifar.read(data) {
        fatalError("rejection does not name \(FuzzReader.cifar.fileName): \(message)")
    }
    return 0
}
