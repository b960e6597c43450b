// libFuzzer target: the configuration file, TOML parser and loader, from text (no file I/O).
//
// The input is the file's text (invalid UTF-8 becomes U+FFFD, so any byte string is some text). It goes through
// `ConfigurationLoader.load(toml:path:environment:)` with an empty environment — what `load(path:)` does after
// reading the file — which parses it with `TOMLParser` and applies and checks every key. Every failure must be
// a thrown `ConfigurationError`; a configuration that loads is rendered as `lamplighter check-config` prints it.
import LamplighterConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let loaded = try? ConfigurationLoader.load(toml: text, path: "fuzz.toml", environment: [:]) else { return 0 }
    _ = loaded.rendered()
    return 0
}
