// swift-tools-version:6.1
// Performance benchmarks for Lamplighter's SIP layer, run as a command (not a test):
//   swift run -c release --package-path Benchmarks lamplighter-bench [--quick]
import PackageDescription

let package = Package(
    name: "LamplighterBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lamplighter-bench", targets: ["LamplighterBench"]),
    ],
    dependencies: [
        .package(name: "Lamplighter", path: ".."),
        // Same requirements as the root package, so one resolution serves both.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "LamplighterBench",
            dependencies: [
                .product(name: "SIPCore", package: "Lamplighter"),
                .product(name: "SIPStack", package: "Lamplighter"),
                .product(name: "PUACore", package: "Lamplighter"),
                .product(name: "Feeds", package: "Lamplighter"),
                .product(name: "PUAStore", package: "Lamplighter"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
