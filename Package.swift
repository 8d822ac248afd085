// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tandem",
    products: [
        .library(name: "Tandem", targets: ["Tandem"]),
        .library(name: "TandemCore", targets: ["TandemCore"]),
        .library(name: "TandemCLI", targets: ["TandemCLI"]),
        // The readers' fuzzing entry points, for the libFuzzer targets in Fuzz/ (a separate package).
        .library(name: "TandemFuzzing", targets: ["TandemFuzzing"]),
        .executable(name: "tandem", targets: ["tandem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev libyaml-dev libzstd-dev libdnnl-dev libopenmpi-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI"),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CYaml", path: "Sources/CYaml"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),

        .target(name: "TandemCore", dependencies: ["CBLAS", "CDNNL", "CZstd"], path: "Sources/Core"),
        .target(name: "TandemModels", dependencies: ["TandemCore"], path: "Sources/Models"),
        .target(name: "TandemDatasets", dependencies: ["TandemCore"], path: "Sources/Datasets"),
        .target(name: "TandemStrategies", dependencies: ["TandemCore"], path: "Sources/Strategies"),
        .target(name: "Tandem",
                dependencies: ["TandemCore", "TandemModels", "TandemDatasets", "TandemStrategies", "CYaml", "CMPI"],
                path: "Sources/Tandem"),
        // The command line as a library: a downstream executable's main.swift is one call,
        // `TandemCommand.main(registry: .standard.adding(MyStrategy.self))`.
        .target(name: "TandemCLI",
                dependencies: ["Tandem", "TandemCore", "TandemModels", "TandemDatasets", "TandemStrategies",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Sources/TandemCLI"),
        .executableTarget(name: "tandem", dependencies: ["Tandem", "TandemCLI"], path: "Sources/TandemExecutable"),
        .target(name: "TandemFuzzing", dependencies: ["Tandem", "TandemCore", "TandemDatasets", "TandemModels"], path: "Fuzz/Harness"),
        .executableTarget(name: "tandem-bench", dependencies: ["Tandem", "TandemCore", "TandemModels", "TandemDatasets", "TandemStrategies", "CDNNL"],
                          path: "benchmarks/Swift"),

        .testTarget(name: "CoreTests", dependencies: ["TandemCore"], path: "Tests/CoreTests"),
        .testTarget(name: "ModelsTests", dependencies: ["TandemModels"], path: "Tests/ModelsTests"),
        .testTarget(name: "TandemTests", dependencies: ["Tandem"], path: "Tests/TandemTests"),
        .testTarget(name: "DatasetsTests", dependencies: ["TandemDatasets"], path: "Tests/DatasetsTests"),
        .testTarget(name: "StrategiesTests", dependencies: ["TandemStrategies"], path: "Tests/StrategiesTests"),
        .testTarget(name: "FuzzingTests", dependencies: ["TandemFuzzing"], path: "Tests/FuzzingTests"),
        .testTarget(name: "TandemCLITests", dependencies: ["TandemCLI", "Tandem"], path: "Tests/TandemCLITests"),
    ],
    swiftLanguageModes: [.v5]
)
