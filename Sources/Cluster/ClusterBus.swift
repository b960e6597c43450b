import Feeds
import Foundation
import Logging
import Metrics
import PUACore
import ServiceLifecycle

/// The cluster's Redis pub/sub channel (`lamplighter:cluster:<id>`): publishes this node's announcements and a
/// heartbeat every `heartbeatInterval` (with the tags it holds), hands the other nodes' announcements to a
/// handler, and remembers which nodes were heard and what they hold. Messages are best effort (pub/sub): a
/// node that misses one looks the publication up in PostgreSQL when it needs it.
public actor ClusterBus {
    /// A node heard on the channel.
    public struct Peer: Sendable, Equatable {
        public var node: String
        public var tags: [String]
        /// When its last heartbeat came (seconds since 1970).
        public var lastSeen: Double
    }

    public nonisolated let channel: String
    let node: String
    let endpoint: RedisEndpoint
    let heartbeatInterval: Duration
    let logger: Logger
    let heldTags: @Sendable () async -> [String]
    let onAnnouncement: @Sendable (PublicationAnnouncement) async -> Void
    let outgoing: AsyncStream<ClusterMessage>
    let outgoingContinuation: AsyncStream<ClusterMessage>.Continuation
    var peers: [String: Peer] = [:]
    var publisher: RedisConnection?
    let rejected = Counter(label: "lamplighter_cluster_messages_rejected_total")
    let published = Counter(label: "lamplighter_cluster_messages_published_total")
    let publishFailures = Counter(label: "lamplighter_cluster_publish_failures_total")

    public init(
        clusterID: Int, node: String, endpoint: RedisEndpoint, heartbeatInterval: Duration = .seconds(1), logger: Logger,
        heldTags: @escaping @Sendable () async -> [String],
        onAnnouncement: @escaping @Sendable (PublicationAnnouncement) async -> Void
    ) {
        channel = "lamplighter:cluster:\(clusterID)"
        self.node = node
        self.endpoint = endpoint
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        self.heldTags = heldTags
        self.onAnnouncement = onAnnouncement
        (outgoing, outgoingContinuation) = AsyncStream.makeStream(of: ClusterMessage.self, bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Queues an announcement of this node (callable from any context; never blocks).
    public nonisolated func announce(_ announcement: PublicationAnnouncement) {
        outgoingContinuation.yield(.announcement(announcement))
    }

    /// The nodes heard (this one included once it heard its own heartbeat), by name.
    public func knownPeers() -> [Peer] { peers.values.sorted { $0.node < $1.node } }

    /// A message from the channel: heartbeats update the peers, other nodes' announcements go to the handler;
    /// a malformed one is logged and counted.
    func received(_ payload: [UInt8]) async {
        let message: ClusterMessage
        do {
            message = try ClusterMessage(decoding: payload)
        } catch {
            rejected.increment()
            logger.warning("cluster message rejected", metadata: ["error": "\(error)"])
            return
        }
        switch message {
        case .heartbeat(let node, let tags):
            peers[node] = Peer(node: node, tags: tags.sorted(), lastSeen: Date().timeIntervalSince1970)
        case .announcement(let announcement):
            guard announcement.node != node else { return }
            await onAnnouncement(announcement)
        }
    }

    /// Publishes on the channel, connecting (again) as needed; a failure is logged and counted, the message lost.
    func publish(_ message: ClusterMessage) async {
        do throws(RedisError) {
            let connection: RedisConnection
            if let publisher {
                connection = publisher
            } else {
                connection = try await RedisConnection.connect(to: endpoint)
                publisher = connection
            }
            _ = try await connection.command(bytes: [Array("PUBLISH".utf8), Array(channel.utf8), message.encoded()])
            published.increment()
        } catch {
            publishFailures.increment()
            logger.warning("cluster message not published", metadata: ["error": "\(error)"])
            await publisher?.close()
            publisher = nil
        }
    }

    func sendHeartbeat() async {
        await publish(.heartbeat(node: node, tags: await heldTags().sorted()))
    }

    func runLoops() async {
        let subscriber = RedisSubscriber(endpoint: endpoint, channels: [channel], logger: logger)
        defer { subscriber.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await batch in subscriber.messages {
                    for message in batch { await self.received(message.payload) }
                }
            }
            group.addTask {
                for await message in self.outgoing { await self.publish(message) }
            }
            group.addTask {
                while !Task.isCancelled {
                    await self.sendHeartbeat()
                    try? await Task.sleep(for: self.heartbeatInterval)
                }
            }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
            subscriber.stop()
            outgoingContinuation.finish()
            group.cancelAll()
        }
        await publisher?.close()
        publisher = nil
    }
}

extension ClusterBus: Service {
    /// Subscribes, publishes and beats until cancelled or a graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.runLoops() }
    }
}
