// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Lamplighter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lamplighter", targets: ["lamplighter"]),
        // Exported for the fuzz and benchmark packages (Fuzz/, Benchmarks/), which depend on this one by path.
        .library(name: "SIPCore", targets: ["SIPCore"]),
        .library(name: "SIPStack", targets: ["SIPStack"]),
        .library(name: "PUACore", targets: ["PUACore"]),
        .library(name: "Feeds", targets: ["Feeds"]),
        .library(name: "PUAStore", targets: ["PUAStore"]),
        .library(name: "PresenceDocuments", targets: ["PresenceDocuments"]),
        .library(name: "LamplighterConfig", targets: ["LamplighterConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries (pkg-config names as on Debian 12).
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // glibc's malloc.h (malloc_trim), for the daemon's memory trimmer.
        .systemLibrary(name: "CMalloc"),

        // Pure SIP: messages, URIs, parser, serializer, digest maths. No I/O.
        .target(name: "SIPCore", swiftSettings: swiftSettings),
        // SIP transports and transactions on SwiftNIO.
        .target(
            name: "SIPStack",
            dependencies: [
                "SIPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // PIDF, dialog-info and friends: built as escaped strings, parsed with libxml2.
        .target(name: "PresenceDocuments", dependencies: ["CLibXML2"], swiftSettings: swiftSettings),
        // Publications and subscriptions: pure state machines and the engine that runs them.
        .target(
            name: "PUACore",
            dependencies: [
                "SIPCore", "SIPStack", "PresenceDocuments",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL persistence over libpq, on dedicated threads.
        .target(
            name: "PUAStore",
            dependencies: [
                "CLibPQ", "PUACore", "SIPCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Redis ingest over hiredis, on dedicated threads.
        .target(
            name: "Feeds",
            dependencies: [
                "CHiredis", "SIPCore", "PresenceDocuments", "PUACore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Several nodes, sharing tags.
        .target(
            name: "Cluster",
            dependencies: [
                "PUACore", "PUAStore", "Feeds",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration: TOML file, environment overrides, validation.
        .target(name: "LamplighterConfig", swiftSettings: swiftSettings),
        // /status, /metrics, admin API.
        .target(
            name: "StatusServer",
            dependencies: [
                "PUACore", "SIPCore", "PresenceDocuments",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lamplighter",
            dependencies: [
                "SIPCore", "SIPStack", "PresenceDocuments", "PUACore", "PUAStore", "Feeds", "Cluster",
                "LamplighterConfig", "StatusServer", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Waits for the real services started by deploy/test and hands out unique names.
        .target(
            name: "LamplighterTestSupport",
            dependencies: ["PUAStore", "Feeds", "SIPCore"],
            path: "Tests/LamplighterTestSupport",
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "SIPStackTests", dependencies: ["SIPStack", "PUAStore", "LamplighterTestSupport"], resources: [.copy("Resources")],
            swiftSettings: swiftSettings),
        .testTarget(name: "PresenceDocumentsTests", dependencies: ["PresenceDocuments"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "PUACoreTests", dependencies: ["PUACore", "PresenceDocuments", "LamplighterTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PUAStoreTests", dependencies: ["PUAStore", "PUACore", "SIPCore", "LamplighterTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FeedsTests", dependencies: ["Feeds", "PUACore", "SIPStack", "PresenceDocuments", "LamplighterTestSupport"],
            resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "PUACore", "PUAStore", "Feeds", "LamplighterTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LamplighterConfigTests", dependencies: ["LamplighterConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StatusServerTests",
            dependencies: [
                "StatusServer", "PUACore", "SIPStack", "LamplighterTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "lamplighterTests", dependencies: ["lamplighter", "PUAStore", "Feeds", "LamplighterTestSupport"], swiftSettings: swiftSettings),
    ]
)
