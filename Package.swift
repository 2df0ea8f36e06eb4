// swift-tools-version: 6.1
import PackageDescription

/// Settings every Armory target compiles with: Swift 6 language mode (strict concurrency)
/// and `any` spelled out for existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The algorithm modules built with Armory: each is the folder `Plugins/<Name>` and becomes the
/// shared library `lib<Name>.so` beside the `armory` executable, where the host finds it.
/// Kept as an explicit list (a manifest that reads a folder goes stale in SwiftPM's cache);
/// `swift package --allow-writing-to-package-directory new-algorithm Name` adds to it.
let algorithmModules = [
    "History",
    "ItemToItem",
    "Popularity",
    "Random",
]

let package = Package(
    name: "Armory",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "armory", targets: ["armory"]),
        .library(name: "ArmoryCore", targets: ["ArmoryCore"]),
        .library(name: "ArmoryServer", targets: ["ArmoryServer"]),
        .plugin(name: "NewAlgorithm", targets: ["NewAlgorithm"]),
    ] + algorithmModules.map { .library(name: $0, type: .dynamic, targets: [$0]) },
    dependencies: [
        // The plugin contract lives in its own package so that the host and every algorithm
        // module link one shared copy of it (see ARCHITECTURE.md, "Known packaging fact").
        .package(path: "Plugins/ArmoryKit"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "ArmoryCore",
            dependencies: [
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArmoryServer",
            dependencies: [
                "ArmoryCore",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "armory",
            dependencies: [
                "ArmoryServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .plugin(
            name: "NewAlgorithm",
            capability: .command(
                intent: .custom(verb: "new-algorithm", description: "Create Plugins/<Name>/<Name>.swift, a working algorithm module"),
                permissions: [.writeToPackageDirectory(reason: "Creates the module's folder and adds it to Package.swift")]
            )
        ),
        // Counts heap allocations in the benchmark process only; never linked into Armory itself.
        .target(name: "CAllocationCounter"),
        .executableTarget(
            name: "armory-bench",
            dependencies: ["ArmoryServer", "CAllocationCounter"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCoreTests",
            dependencies: ["ArmoryCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryServerTests",
            dependencies: ["ArmoryServer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCLITests",
            dependencies: ["armory"],
            swiftSettings: swiftSettings
        ),
    ] + algorithmModules.map { name in
        // Modules see ArmoryKit and nothing else of Armory.
        .target(
            name: name,
            dependencies: [.product(name: "ArmoryKit", package: "ArmoryKit")],
            path: "Plugins/\(name)",
            swiftSettings: swiftSettings
        )
    },
    swiftLanguageModes: [.v6]
)
