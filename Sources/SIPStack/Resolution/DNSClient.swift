#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// A stub resolver: sends each query over UDP to one recursive name server and returns its response.
///
/// This (with ``DNSResponseHandler``) is the only network I/O of the resolution code. Every query uses a
/// fresh socket connected to the name server (random source port, random ID; the kernel drops datagrams
/// from other sources), waits ``Options/timeout`` per attempt and makes ``Options/attempts`` attempts.
/// Responses whose ID or question differ are ignored. A response with the TC bit set is reported as
/// ``DNSError/Code/truncated``; TCP fallback is not implemented (an EDNS(0) payload size of 1232 octets is
/// advertised instead, which fits SIP SRV sets).
public struct DNSClient: DNSLookup {
    /// Timeouts and query flags.
    public struct Options: Sendable {
        /// How long one attempt waits for a response.
        public var timeout: Duration = .seconds(2)
        /// Attempts in all (the first send plus retries).
        public var attempts = 2
        /// Advertised EDNS(0) UDP payload size; `nil` sends no OPT record (plain 512-octet DNS).
        public var ednsPayloadSize: UInt16? = 1232

        public init() {}
    }

    /// The name server's address.
    public let nameserver: SocketAddress
    /// Timeouts and flags.
    public let options: Options
    private let group: any EventLoopGroup

    /// A client of `nameserver` (e.g. `try SocketAddress(ipAddress: "127.0.0.1", port: 53)`).
    public init(nameserver: SocketAddress, options: Options = Options(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.nameserver = nameserver
        self.options = options
        self.group = group
    }

    /// A client of the first `nameserver` of `resolvConfPath` (port 53).
    public static func system(
        resolvConfPath: String = "/etc/resolv.conf", options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(DNSError) -> DNSClient {
        guard let text = readFile(resolvConfPath) else {
            throw DNSError(code: .noNameserver, context: "cannot read \(resolvConfPath)")
        }
        guard let first = ResolvConf(parsing: text).nameservers.first else {
            throw DNSError(code: .noNameserver, context: "no usable nameserver line in \(resolvConfPath)")
        }
        return DNSClient(nameserver: first, options: options, group: group)
    }

    /// Queries the name server for `name` and `type`; the response is returned whatever its RCODE.
    public func query(_ name: String, type: DNSRecordType) async throws(DNSError) -> DNSMessage {
        let question = DNSQuestion(name: name, type: type)
        let id = UInt16.random(in: .min ... .max)
        let bytes = try DNSMessage.query(id: id, name: name, type: type, ednsPayloadSize: options.ednsPayloadSize)
        let loop = group.next()
        let handler = DNSResponseHandler(
            id: id, question: question, query: bytes, nameserver: nameserver, attempts: max(1, options.attempts),
            timeout: TimeAmount(options.timeout), eventLoop: loop)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                .connect(to: nameserver)
                .get()
        } catch {
            let failure = DNSError(code: .transportFailed, context: "\(question) to \(nameserver): cannot open a socket: \(error)")
            handler.abandon(failure)
            throw failure
        }
        let result: Result<DNSMessage, any Error> = await withTaskCancellationHandler {
            do {
                return .success(try await handler.start(on: channel).get())
            } catch {
                return .failure(error)
            }
        } onCancel: {
            handler.cancel()
        }
        try? await channel.close()
        switch result {
        case .success(let message):
            return message
        case .failure(let error as DNSError):
            throw error
        case .failure(let error):
            throw DNSError(code: .transportFailed, context: "\(question) to \(nameserver): \(error)")
        }
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
