import CFuzzerDriver
import Foundation
import TandemFuzzing

// libFuzzer target for the `cifar` reader: a crash or hang is a finding; so is a rejection that
// does not name the file (reported by trapping, so libFuzzer saves the input). Options as for any
// libFuzzer binary, e.g. `fuzz-cifar -runs=100000 Fuzz/Corpus/cifar` (see `make fuzz`).
var arguments = CommandLine.argc
var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &values) { start, count in
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    if case let .unnamed(message) = FuzzReader.cifar.read(data) {
        fatalError("rejection does not name \(FuzzReader.cifar.fileName): \(message)")
    }
    return 0
})
