import CFuzzerDriver
import Foundation
import TandemFuzzing

// libFuzzer target for the `recipe` reader: a crash or hang is a finding; so is a rejection that
// does not name the file (reported by trapping, so libFuzzer saves the input). Options as for any
// libFuzzer binary, e.g. `fuzz-recipe -runs=100000 Fuzz/Corpus/recipe` (see `make fuzz`).
var arguments = CommandLine.argc
var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &values) { start, count in
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    if case let .unnamed(message) = FuzzReader.recipe.read(data) {
        fatalError("rejection does not name \(FuzzReader.recipe.fileName): \(message)")
    }
    return 0
})
