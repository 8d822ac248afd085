// swift-tools-version:6.0
// A package outside Tandem that defines its own strategies (one on each adaptor, and a meta
// strategy written as a full GradientCombiner) and gets Tandem's whole command line with them.
import PackageDescription

let package = Package(
    name: "CustomStrategy",
    dependencies: [.package(name: "Tandem", path: "../..")],
    targets: [
        .executableTarget(name: "CustomStrategy",
                          dependencies: [.product(name: "Tandem", package: "Tandem"),
                                         .product(name: "TandemCLI", package: "Tandem")],
                          path: "Sources/CustomStrategy"),
    ],
    swiftLanguageModes: [.v5]
)
