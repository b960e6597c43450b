/// Spots RFC 5626 §3.5.1 keep-alive pings ("\r\n\r\n") in the CR/LF bytes a stream carries between messages.
///
/// Feed it only bytes that arrive between messages; any other byte calls ``reset()``. It works across reads
/// of any size (a ping may arrive one byte at a time).
struct SIPKeepAliveDetector: Sendable, Equatable {
    /// How much of "\r\n\r\n" has been seen (0...3).
    private(set) var matched = 0

    init() {}

    /// Feeds one CR or LF byte; true when it completes a ping (the caller answers with a "\r\n" pong).
    mutating func feed(_ byte: UInt8) -> Bool {
        let expected: UInt8 = matched % 2 == 0 ? 0x0D : 0x0A
        guard byte == expected else {
            matched = byte == 0x0D ? 1 : 0
            return false
        }
        matched += 1
        if matched == 4 {
            matched = 0
            return true
        }
        return false
    }

    /// A message (or anything but CR/LF) started: forget a partial ping.
    mutating func reset() {
        matched = 0
    }
}
