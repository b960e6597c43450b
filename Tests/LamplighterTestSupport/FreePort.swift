import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A port of 127.0.0.1 free right now (the kernel's pick for port 0), for a peer or daemon under test.
public enum FreePort {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// A free UDP port.
    public static func udp() throws -> Int { try pick(Int32(SOCK_DGRAM.rawValue), "UDP") }

    /// A free TCP port.
    public static func tcp() throws -> Int { try pick(Int32(SOCK_STREAM.rawValue), "TCP") }

    private static func pick(_ type: Int32, _ name: String) throws -> Int {
        for _ in 0..<20 {
            let fd = socket(AF_INET, type, 0)
            guard fd >= 0 else { break }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            if bound { return Int(UInt16(bigEndian: address.sin_port)) }
        }
        throw Failure(message: "no free \(name) port on 127.0.0.1 (errno \(errno))")
    }
}
