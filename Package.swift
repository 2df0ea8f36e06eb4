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
    "MatrixFactorization",
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
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.9.0" ..< "5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        // HTTP types on the NIO pipeline, for the handler that answers unparsable requests.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // The HTTP server; swift-configuration support is not used, so only full Foundation is on.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.9.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
    ],
    targets: [
        .target(
            name: "ArmoryCore",
            dependencies: [
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Yams", package: "Yams"),
                // Decision ids are signed (HMAC): computation, not I/O.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Optimized in debug builds too: the co-watch lists and the statistics are loops
            // over millions of elements, which unoptimized Swift runs many times slower, and a
            // debug build is what `swift run armory serve` starts.
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "ArmoryStorage",
            dependencies: [
                "ArmoryCore",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArmoryServer",
            dependencies: [
                "ArmoryCore",
                "ArmoryStorage",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "armory",
            dependencies: [
                "ArmoryCore",
                "ArmoryServer",
                "ArmoryStorage",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
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
            dependencies: [
                "ArmoryCore", "ArmoryServer", "ArmoryStorage", "CAllocationCounter",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The seeded fuzzer for client and file input (README, "Development").
        .executableTarget(
            name: "armory-fuzz",
            dependencies: ["ArmoryCore", "ArmoryServer", "ArmoryStorage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCoreTests",
            dependencies: [
                "ArmoryCore",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        // What the test targets share: the real test servers, fresh databases on them, and the
        // lock that keeps an outage test from stopping a server another suite is using.
        .target(
            name: "ArmoryTestSupport",
            dependencies: [
                "ArmoryStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryServerTests",
            dependencies: [
                "ArmoryCore", "ArmoryServer", "ArmoryStorage", "ArmoryTestSupport",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Appends weight versions from a process of its own, for the storage tests' concurrency check.
        .executableTarget(
            name: "armory-state-writer",
            dependencies: ["ArmoryCore", "ArmoryStorage"],
            path: "Tests/StateWriter",
            swiftSettings: swiftSettings
        ),
        // Streams events through an EventWriter, for the test that kills it mid-stream.
        .executableTarget(
            name: "armory-event-writer",
            dependencies: ["ArmoryCore", "ArmoryStorage", .product(name: "Logging", package: "swift-log")],
            path: "Tests/EventWriterProcess",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryStorageTests",
            dependencies: [
                "ArmoryCore", "ArmoryStorage", "ArmoryTestSupport", "armory-state-writer", "armory-event-writer",
                .product(name: "ArmoryKit", package: "ArmoryKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArmoryCLITests",
            dependencies: ["armory", "ArmoryTestSupport", "ArmoryCore", "ArmoryStorage"],
            swiftSettings: swiftSettings
        ),
    ] + algorithmModules.map { name in
        // Modules see ArmoryKit and nothing else of Armory. Optimized in debug builds too:
        // every call runs under a time budget of milliseconds, which unoptimized loops over a
        // catalog overrun.
        .target(
            name: name,
            dependencies: [.product(name: "ArmoryKit", package: "ArmoryKit")],
            path: "Plugins/\(name)",
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        )
    },
    swiftLanguageModes: [.v6]
)
