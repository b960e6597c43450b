import CHiredis
import Foundation
import Logging
import Synchronization

/// Reads Redis Streams with a consumer group (XREADGROUP), at least once: an entry is acknowledged (XACK)
/// only after the feed service applied it, and entries left unacknowledged by a previous run of the same
/// consumer are read again first. Each entry carries its event JSON in the field `payload`.
///
/// Runs on a dedicated thread with its own connection (hiredis blocks); `XREADGROUP … BLOCK 250` bounds each
/// wait so acknowledgements and `stop()` are handled promptly. Reconnects with capped backoff.
public final class RedisStreamReader: Sendable {
    public let endpoint: RedisEndpoint
    public let streams: [String]
    public let group: String
    public let consumer: String
    /// Batches of entries, in stream order per key.
    public let messages: AsyncStream<[FeedMessage]>
    private let continuation: AsyncStream<[FeedMessage]>.Continuation
    private let runner: RedisSessionRunner
    private let pendingAcks = Mutex<[String: [String]]>([:])
    private let logger: Logger
    /// Entries per read.
    static let batchSize = 512

    public init(
        endpoint: RedisEndpoint, streams: [String], group: String, consumer: String, logger: Logger,
        onState: @escaping @Sendable (FeedConnectionState) -> Void = { _ in }
    ) {
        self.endpoint = endpoint
        self.streams = streams
        self.group = group
        self.consumer = consumer
        self.logger = logger
        runner = RedisSessionRunner(endpoint: endpoint, what: "stream reader", logger: logger, onState: onState)
        (messages, continuation) = AsyncStream.makeStream(of: [FeedMessage].self)
        let continuation = self.continuation
        runner.start(threadName: "lamplighter.redis.streams", session: { [self] in readLoop($0) }, finished: { continuation.finish() })
    }

    public var state: FeedConnectionState { runner.state }

    /// Stops the thread (within about 250 ms) and finishes `messages`.
    public func stop() {
        runner.stop()
    }

    /// Acknowledges applied entries; sent before the next read.
    public func acknowledge(_ applied: [FeedMessage]) {
        pendingAcks.withLock { acks in
            for message in applied { if let id = message.id { acks[message.source, default: []].append(id) } }
        }
    }

    /// Sends the acknowledgements still waiting over a connection of its own: after ``stop()``, once the
    /// feed service has stored the state of the last entries, so a graceful restart does not deliver them again.
    /// Returns how many entries were acknowledged.
    @discardableResult
    public func sendPendingAcknowledgements() async throws(RedisError) -> Int {
        let acks = pendingAcks.withLock { acks -> [String: [String]] in
            defer { acks.removeAll() }
            return acks
        }
        guard !acks.isEmpty else { return 0 }
        let connection = try await RedisConnection.connect(to: endpoint)
        var sent = 0
        do throws(RedisError) {
            for (stream, ids) in acks {
                _ = try await connection.command(["XACK", stream, group] + ids)
                sent += ids.count
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return sent
    }

    private func command(_ arguments: [String], _ context: UnsafeMutablePointer<redisContext>) -> Result<RedisReply, RedisError> {
        RedisConnection.execute(arguments.map { Array($0.utf8) }, on: context, endpoint: endpoint)
    }

    /// Creates the groups, replays this consumer's pending entries, then reads new ones; returns why it ended.
    /// On an I/O error `execute` has freed the context; otherwise it is freed here.
    private func readLoop(_ context: UnsafeMutablePointer<redisContext>) -> String {
        for stream in streams {
            switch command(["XGROUP", "CREATE", stream, group, "$", "MKSTREAM"], context) {
            case .success: break
            case .failure(let error) where error.code == .commandFailed && error.message.hasPrefix("BUSYGROUP"): break
            case .failure(let error):
                if error.code != .ioError { redisFree(context) }
                return "\(error)"
            }
        }
        runner.set(.ready)
        // Per stream: from "0" through the entries delivered to this consumer before and never acknowledged
        // (each read continues after the last id returned), then ">" for new ones.
        var cursors = Array(repeating: "0", count: streams.count)
        while !runner.isStopping {
            let acks = pendingAcks.withLock { acks -> [String: [String]] in
                defer { acks.removeAll() }
                return acks
            }
            for (stream, ids) in acks {
                if case .failure(let error) = command(["XACK", stream, group] + ids, context) {
                    acknowledge(ids.map { FeedMessage(source: stream, payload: [], id: $0) })  // Keep them for the next connection.
                    if error.code != .ioError { redisFree(context) }
                    return "\(error)"
                }
            }
            let arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(Self.batchSize), "BLOCK", "250", "STREAMS"]
                + streams + cursors
            switch command(arguments, context) {
            case .failure(let error):
                if error.code != .ioError { redisFree(context) }
                return "\(error)"
            case .success(let reply):
                let batch = Self.entries(in: reply)
                for (index, stream) in streams.enumerated() where cursors[index] != ">" {
                    cursors[index] = batch.last { $0.source == stream }?.id ?? ">"
                }
                if !batch.isEmpty { continuation.yield(batch) }
            }
        }
        redisFree(context)
        return "stopped"
    }

    /// `[[stream, [[id, [field, value, …]], …]], …]` → messages with the `payload` field.
    static func entries(in reply: RedisReply) -> [FeedMessage] {
        guard case .array(let streams) = reply else { return [] }
        var messages: [FeedMessage] = []
        for stream in streams {
            guard case .array(let pair) = stream, pair.count == 2, case .string(let key) = pair[0], case .array(let entries) = pair[1] else { continue }
            let source = String(decoding: key, as: UTF8.self)
            for entry in entries {
                guard case .array(let parts) = entry, parts.count == 2, case .string(let id) = parts[0] else { continue }
                var payload: [UInt8] = []
                if case .array(let fields) = parts[1] {
                    var index = 0
                    while index + 1 < fields.count {
                        if case .string(let name) = fields[index], name == Array("payload".utf8), case .string(let value) = fields[index + 1] {
                            payload = value
                        }
                        index += 2
                    }
                }
                messages.append(FeedMessage(source: source, payload: payload, id: String(decoding: id, as: UTF8.self)))
            }
        }
        return messages
    }
}
