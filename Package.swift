// swift-tools-version: 6.1
import PackageDescription

/// Settings every Armory target compiles with: Swift 6 language mode (strict concurrency)
/// and `any` spelled out for existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Armory",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "armory", targets: ["armory"]),
        .library(name: "ArmoryCore", targets: ["ArmoryCore"]),
    ],
    dependencies: [
        // The plugin contract lives in its own package so that the host and every algorithm
        // module link one shared copy of it (see ARCHITECTURE.md, "Known packaging fact").
        .package(path: "Plugins/ArmoryKit"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
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
        .executableTarget(
            name: "armory",
            dependencies: [
                "ArmoryCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Counts heap allocations in the benchmark process only; never linked into Armory itself.
        .target(name: "CAllocationCounter"),
        .executableTarget(
            name: "armory-bench",
            dependencies: ["ArmoryCore", "CAllocationCounter"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCoreTests",
            dependencies: ["ArmoryCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCLITests",
            dependencies: ["armory"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
