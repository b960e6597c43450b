import CHiredis
import Foundation
import Logging
import Synchronization

/// One message from a Redis channel or stream.
public struct FeedMessage: Sendable, Equatable {
    /// The channel (pub/sub) or stream key it came from.
    public var source: String
    /// The payload.
    public var payload: [UInt8]
    /// The stream entry id (streams only), acknowledged once the event is applied.
    public var id: String?

    public init(source: String, payload: [UInt8], id: String? = nil) {
        self.source = source
        self.payload = payload
        self.id = id
    }
}

/// Where a feed connection stands, for the status endpoint.
public enum FeedConnectionState: Sendable, Equatable {
    /// Connecting (the first time).
    case connecting
    /// Connected and subscribed (or reading its streams).
    case ready
    /// The connection failed; the next attempt is after a backoff.
    case reconnecting(String)
    /// Stopped.
    case stopped
}

/// SUBSCRIBEs to channels on a connection of its own, on a dedicated thread, and hands messages on in
/// batches. Reconnects with capped exponential backoff and subscribes again when Redis restarts.
///
/// hiredis blocks, so the thread polls the socket (250 ms) and drains every complete reply at each wake-up:
/// one batch per wake-up, not one hop per message.
public final class RedisSubscriber: Sendable {
    public let endpoint: RedisEndpoint
    public let channels: [String]
    /// Batches of messages, in arrival order.
    public let messages: AsyncStream<[FeedMessage]>
    private let continuation: AsyncStream<[FeedMessage]>.Continuation
    private let runner: RedisSessionRunner
    private let port = Atomic<Int>(0)
    private let logger: Logger

    /// Starts the thread at once. `onState` is called (on the subscriber's thread) with every state change.
    public init(
        endpoint: RedisEndpoint, channels: [String], logger: Logger,
        onState: @escaping @Sendable (FeedConnectionState) -> Void = { _ in }
    ) {
        self.endpoint = endpoint
        self.channels = channels
        self.logger = logger
        runner = RedisSessionRunner(endpoint: endpoint, what: "subscriber", logger: logger, onState: onState)
        (messages, continuation) = AsyncStream.makeStream(of: [FeedMessage].self)
        let continuation = self.continuation
        runner.start(threadName: "lamplighter.redis.subscriber", session: { [self] in subscribeAndRead($0) }, finished: { continuation.finish() })
    }

    /// The current state.
    public var state: FeedConnectionState { runner.state }

    /// The local TCP port of the current connection (what Redis lists as the client's `addr`), if connected.
    public var localPort: Int? {
        let value = port.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Stops the thread (within 250 ms) and finishes `messages`.
    public func stop() {
        runner.stop()
    }

    /// Subscribes and reads until the connection fails or `stop()`; frees the context; returns why it ended.
    private func subscribeAndRead(_ context: UnsafeMutablePointer<redisContext>) -> String {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(Int32(context.pointee.fd), $0, &length) }
        }
        port.store(Int(UInt16(bigEndian: address.sin_port)), ordering: .relaxed)
        defer {
            port.store(0, ordering: .relaxed)
            redisFree(context)
        }
        let arguments = [Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) }
        let lengths = arguments.map(\.count)
        let appended = RedisConnection.withArgumentPointers(arguments) { pointers in
            lengths.withUnsafeBufferPointer { redisAppendCommandArgv(context, Int32(arguments.count), pointers, $0.baseAddress) }
        }
        guard appended == REDIS_OK else { return RedisConnection.errorText(context) }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { return RedisConnection.errorText(context) }
        }
        var confirmed = 0
        while !runner.isStopping {
            var batch: [FeedMessage] = []
            while true {
                var raw: UnsafeMutableRawPointer?
                guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { return "protocol error: \(RedisConnection.errorText(context))" }
                guard let raw else { break }
                let reply = RedisConnection.convert(raw.assumingMemoryBound(to: redisReply.self))
                freeReplyObject(raw)
                guard case .array(let parts) = reply, parts.count == 3, case .string(let kind) = parts[0] else { continue }
                switch String(decoding: kind, as: UTF8.self) {
                case "message":
                    if case .string(let channel) = parts[1], case .string(let payload) = parts[2] {
                        batch.append(FeedMessage(source: String(decoding: channel, as: UTF8.self), payload: payload))
                    }
                case "subscribe":
                    confirmed += 1
                    if confirmed == channels.count {
                        runner.set(.ready)
                        logger.info("redis feeds subscribed", metadata: ["redis": "\(endpoint)", "channels": "\(channels)"])
                    }
                default:
                    break
                }
            }
            if !batch.isEmpty { continuation.yield(batch) }
            var descriptor = pollfd(fd: Int32(context.pointee.fd), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0, errno != EINTR { return "poll failed: errno \(errno)" }
            if ready > 0 {
                guard redisBufferRead(context) == REDIS_OK else {
                    let text = RedisConnection.errorText(context)
                    return text.isEmpty ? "connection closed by Redis" : text
                }
            }
        }
        return "stopped"
    }
}
