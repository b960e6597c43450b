// swift-tools-version:6.1
// Coverage-guided fuzzing (libFuzzer) of Lamplighter's parsers of untrusted input, one executable per target.
// Not part of the root package's build; `deploy/fuzz` builds and runs it:
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// (the flags instrument every Swift module, the root package's included; without them nothing links).
import PackageDescription

/// One fuzz executable: its only Swift file defines `LLVMFuzzerTestOneInput`. SwiftPM links executables with
/// `--defsym main=<module>_main`, a symbol such a module does not define, so the linker gets both names pointed
/// at FuzzMain's `lamplighter_fuzz_main`, which starts libFuzzer's driver (the later `--defsym main=` wins).
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    let entry = String(name.map { $0 == "-" ? "_" : $0 }) + "_main"
    return .executableTarget(
        name: name,
        dependencies: ["FuzzMain"] + products.map { .product(name: $0, package: "Lamplighter") },
        swiftSettings: [.swiftLanguageMode(.v6)],
        linkerSettings: [
            .unsafeFlags(
                ["-Xlinker", "--defsym", "-Xlinker", "\(entry)=lamplighter_fuzz_main",
                 "-Xlinker", "--defsym", "-Xlinker", "main=lamplighter_fuzz_main"],
                .when(platforms: [.linux])),
        ]
    )
}

let package = Package(
    name: "LamplighterFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Lamplighter", path: ".."),
    ],
    targets: [
        .target(name: "FuzzMain"),
        fuzzTarget("fuzz-sip-parser", ["SIPCore"]),
        fuzzTarget("fuzz-sip-framer", ["SIPCore"]),
        fuzzTarget("fuzz-feed-decoders", ["Feeds"]),
        fuzzTarget("fuzz-pidf", ["PresenceDocuments"]),
        fuzzTarget("fuzz-dialog-info", ["PresenceDocuments"]),
        fuzzTarget("fuzz-watcherinfo", ["PresenceDocuments"]),
        fuzzTarget("fuzz-config", ["LamplighterConfig"]),
    ]
)
