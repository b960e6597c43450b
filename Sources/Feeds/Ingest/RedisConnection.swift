import CHiredis
import Dispatch
import Foundation

/// One blocking hiredis connection, confined to its own serial queue (never the Swift concurrency pool).
///
/// Commands go through `redisCommandArgv` (binary-safe arguments, no format strings).
public final class RedisConnection: @unchecked Sendable {
    /// The endpoint this connection talks to.
    public let endpoint: RedisEndpoint
    private let queue: DispatchQueue
    /// Only touched on `queue`.
    private var context: UnsafeMutablePointer<redisContext>?

    private init(endpoint: RedisEndpoint, context: UnsafeMutablePointer<redisContext>, queue: DispatchQueue) {
        self.endpoint = endpoint
        self.context = context
        self.queue = queue
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// Connects, authenticates and selects the database.
    public static func connect(to endpoint: RedisEndpoint) async throws(RedisError) -> RedisConnection {
        let queue = DispatchQueue(label: "lamplighter.redis.\(endpoint)")
        let result: Result<RedisConnection, RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Self.connectBlocking(endpoint, queue: queue))
            }
        }
        return try result.get()
    }

    private static func connectBlocking(_ endpoint: RedisEndpoint, queue: DispatchQueue) -> Result<RedisConnection, RedisError> {
        openContext(endpoint).map { RedisConnection(endpoint: endpoint, context: $0, queue: queue) }
    }

    /// A connected, authenticated context with the database selected (blocking; call from a dedicated thread).
    static func openContext(_ endpoint: RedisEndpoint) -> Result<UnsafeMutablePointer<redisContext>, RedisError> {
        let seconds = Int(endpoint.timeout)
        let timeout = timeval(tv_sec: seconds, tv_usec: Int((endpoint.timeout - Double(seconds)) * 1_000_000))
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), timeout) else {
            return .failure(RedisError(code: .connectFailed, endpoint: endpoint.description, message: "out of memory"))
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            return .failure(RedisError(code: .connectFailed, endpoint: endpoint.description, message: message))
        }
        redisSetTimeout(context, timeout)
        var setup: [[String]] = []
        if let password = endpoint.password { setup.append(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]) }
        if endpoint.database != 0 { setup.append(["SELECT", String(endpoint.database)]) }
        for arguments in setup {
            if case .failure(let error) = execute(arguments.map { Array($0.utf8) }, on: context, endpoint: endpoint) {
                if error.code != .ioError { redisFree(context) }
                return .failure(RedisError(code: .authenticationFailed, endpoint: endpoint.description, message: error.message))
            }
        }
        return .success(context)
    }

    /// Sends one command and waits for its reply. An error reply is thrown as `.commandFailed`.
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisReply {
        try await command(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one command with binary arguments.
    public func command(bytes arguments: [[UInt8]]) async throws(RedisError) -> RedisReply {
        let result: Result<RedisReply, RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.commandBlocking(arguments))
            }
        }
        return try result.get()
    }

    /// PING, expecting PONG.
    public func ping() async throws(RedisError) {
        let reply = try await command(["PING"])
        guard reply == .status("PONG") else {
            throw RedisError(code: .commandFailed, endpoint: endpoint.description, message: "PING answered \(reply)")
        }
    }

    /// Closes the connection; later commands fail with `.closed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let context = self.context { redisFree(context) }
                self.context = nil
                continuation.resume()
            }
        }
    }

    /// Runs on `queue` only.
    private func commandBlocking(_ arguments: [[UInt8]]) -> Result<RedisReply, RedisError> {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let context else {
            return .failure(RedisError(code: .closed, endpoint: endpoint.description, message: "the connection is closed"))
        }
        let result = Self.execute(arguments, on: context, endpoint: endpoint)
        if case .failure(let error) = result, error.code == .ioError { self.context = nil }  // execute freed it
        return result
    }

    /// One command on `context`; on an I/O error the context is freed. An error reply is `.commandFailed`.
    static func execute(
        _ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisContext>, endpoint: RedisEndpoint
    ) -> Result<RedisReply, RedisError> {
        let lengths = arguments.map(\.count)
        let raw: UnsafeMutableRawPointer? = withArgumentPointers(arguments) { pointers in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                redisCommandArgv(context, Int32(arguments.count), pointers, lengthBuffer.baseAddress)
            }
        }
        guard let raw else {
            let message = Self.errorText(context)
            redisFree(context)
            return .failure(RedisError(code: .ioError, endpoint: endpoint.description, message: message))
        }
        defer { freeReplyObject(raw) }
        let reply = Self.convert(raw.assumingMemoryBound(to: redisReply.self))
        if case .error(let message) = reply {
            return .failure(RedisError(code: .commandFailed, endpoint: endpoint.description, message: message))
        }
        return .success(reply)
    }

    static func withArgumentPointers<R>(_ arguments: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let buffers = arguments.map { argument -> UnsafeMutablePointer<CChar> in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { buffer.initialize(from: base.assumingMemoryBound(to: CChar.self), count: argument.count) }
            }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0) }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .string(Self.bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(convert(element)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
