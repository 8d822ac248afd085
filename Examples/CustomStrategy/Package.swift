// swift-tools-version:6.0
// A package outside Tandem that defines its own strategy, registers it, and runs it from a recipe.
import PackageDescription

let package = Package(
    name: "CustomStrategy",
    dependencies: [.package(name: "Tandem", path: "../..")],
    targets: [
        .executableTarget(name: "CustomStrategy", dependencies: [.product(name: "Tandem", package: "Tandem")],
                          path: "Sources/CustomStrategy"),
    ],
    swiftLanguageModes: [.v5]
)
