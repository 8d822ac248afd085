// swift-tools-version:6.0
// libFuzzer targets for Tandem's readers of untrusted input, one per reader, kept out of the
// main package so its build never needs the fuzzer runtime. Build and run with `make fuzz`
// (swift build -c release -Xswiftc -sanitize=fuzzer, linked with lld: gold fails on these binaries); each target's input goes through the same
// `FuzzReader` entry point that CI's deterministic pass (Tests/FuzzingTests) uses.
import PackageDescription

let readers = ["recipe", "npy", "idx", "tree", "cifar", "checkpoint"]

let package = Package(
    name: "TandemFuzz",
    dependencies: [.package(name: "Tandem", path: "..")],
    targets: [.target(name: "CFuzzerDriver", path: "Support/CFuzzerDriver")] + readers.map { reader in
        // Each target's main hands its reader to libFuzzer's driver (LLVMFuzzerRunDriver).
        .executableTarget(name: "fuzz-\(reader)",
                          dependencies: ["CFuzzerDriver", .product(name: "TandemFuzzing", package: "Tandem")],
                          path: "Targets/\(reader)")
    },
    swiftLanguageModes: [.v5]
)
