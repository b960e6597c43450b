// swift-tools-version:6.1
// libFuzzer target for the SIP parser and stream framer (SIPCore). Not part of the root package's build:
// `Fuzz/run.sh [SECONDS]` builds it with -sanitize=fuzzer,address and runs it.
import PackageDescription

let package = Package(
    name: "LamplighterFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Lamplighter", path: ".."),
    ],
    targets: [
        // Header-only shim declaring libFuzzer's LLVMFuzzerRunDriver (the library comes with -sanitize=fuzzer).
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(
            name: "SIPParserFuzz",
            dependencies: ["CLibFuzzer", .product(name: "SIPCore", package: "Lamplighter")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
