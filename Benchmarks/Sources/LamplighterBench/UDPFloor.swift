// The kernel's share of a UDP request/response over 127.0.0.1, without SIP or NIO: blocking sockets, a child
// process echoing, CPU time of this process per round trip. What no SIP stack on this machine can go under.
#if canImport(Glibc)
import Glibc

enum UDPFloor {
    static let echoFlag = "--udp-echo"

    struct Figure {
        var sequential: Double
        var batched: Double
    }

    /// Child mode: answer every datagram on 127.0.0.1:`port` with 380 bytes; exits on a 1-byte datagram.
    static func runEcho(port: Int) -> Never {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = loopback(port: port)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        writeAll(1, "ready\n")
        var buffer = [UInt8](repeating: 0, count: 2048)
        var peer = sockaddr_in()
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            if count == 1 { exit(0) }
            if count <= 0 { continue }
            _ = withUnsafePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer, 380, 0, $0, length) }
            }
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// `count` round trips of a 520-byte request one at a time, then 64 sent before the 64 answers are read.
    static func run(count: Int) throws -> Figure {
        let port = 20_000 + Int(getpid() % 20_000)
        let echo = try ChildProcess(arguments: [echoFlag, String(port)])
        defer {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = loopback(port: port)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, "q", 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            echo.finish()
        }
        guard echo.readLine() == "ready" else { throw BenchError("UDP echo did not start on port \(port)") }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = [UInt8](repeating: 0x78, count: 520)
        var response = [UInt8](repeating: 0, count: 2048)

        var start = ProcessCPU.now()
        for _ in 0..<count {
            _ = send(fd, request, request.count, 0)
            _ = recv(fd, &response, response.count, 0)
        }
        let sequential = (ProcessCPU.now() - start).total.seconds * 1e6 / Double(count)

        let window = 64
        start = ProcessCPU.now()
        var done = 0
        while done < count {
            for _ in 0..<window { _ = send(fd, request, request.count, 0) }
            for _ in 0..<window { _ = recv(fd, &response, response.count, 0) }
            done += window
        }
        let batched = (ProcessCPU.now() - start).total.seconds * 1e6 / Double(done)
        return Figure(sequential: sequential, batched: batched)
    }
}
#endif
