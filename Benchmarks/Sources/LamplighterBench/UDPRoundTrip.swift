// Every use of SIPStack (and NIO) by the benchmark is in this file, so that changes to the stack's API
// only need adapting here.
import Logging
import NIOCore
import NIOPosix
import SIPCore
import SIPStack

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One UDP transaction measurement.
struct RoundTripFigure {
    var name: String
    var concurrency: Int
    var requested: Int
    var completed: Int
    var failed: Int
    var wall: Duration
    /// CPU time of this process (client endpoint, its event loop, the tasks calling `send`).
    var ourCPU: ProcessCPU
    /// CPU time of the responder process over the same interval.
    var responderCPU: ProcessCPU
    var timeCapped: Bool

    var perWallSecond: Double { Double(completed) / max(wall.seconds, 1e-9) }
    var ourMicrosecondsPerTransaction: Double { perTransaction(ourCPU.total) }
    var responderMicrosecondsPerTransaction: Double { perTransaction(responderCPU.total) }

    /// Microseconds per completed transaction.
    func perTransaction(_ d: Duration) -> Double { d.seconds * 1e6 / Double(max(completed, 1)) }
}

struct RoundTripReport {
    var figures: [RoundTripFigure]
    var rssBefore: Int
    var peakRSS: Int
    var responderPeakRSS: Int
}

enum UDPRoundTrip {
    static let responderFlag = "--responder"
    static let responderDescription = "a SIPEndpoint answering OPTIONS by itself, in a child process"

    // MARK: - Responder (child process)

    /// Child mode: a `SIPEndpoint` on 127.0.0.1 that answers OPTIONS with 200 by itself. Prints
    /// `port N`; answers a `cpu` line with `cpu USER_µs SYSTEM_µs maxrss BYTES`; stops at end of stdin, or
    /// after 10 minutes whatever happens.
    static func runResponder() async {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "lamplighter-bench.responder")
        logger.logLevel = .error
        let endpoint: SIPEndpoint
        do {
            endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, group: group, logger: logger)
        } catch {
            writeAll(2, "responder: bind failed: \(error)\n")
            exit(1)
        }
        group.next().scheduleTask(in: .minutes(10)) { exit(0) }
        writeAll(1, "port \(endpoint.localAddress.port ?? 0)\n")
        while let line = Swift.readLine() {
            if line == "cpu" {
                let cpu = ProcessCPU.now()
                writeAll(1, "cpu \(microseconds(cpu.user)) \(microseconds(cpu.system)) maxrss \(peakRSSBytes())\n")
            }
        }
        await endpoint.close()
        try? await group.shutdownGracefully()
    }

    // MARK: - Client (this process)

    /// Starts the responder, then measures `count` OPTIONS transactions sequentially and with 64 in
    /// flight, each phase capped at `timeLimit`.
    static func run(count: Int, timeLimit: Duration) async throws -> RoundTripReport {
        let rssBefore = currentRSSBytes()
        let responder = try ChildProcess(arguments: [responderFlag])
        defer { responder.finish() }
        guard let portLine = responder.readLine(), portLine.hasPrefix("port "), let port = Int(portLine.dropFirst(5)), port > 0 else {
            throw BenchError("responder did not report its port")
        }
        func responderCPU() throws -> (cpu: ProcessCPU, maxRSS: Int) {
            responder.send("cpu")
            let fields = (responder.readLine() ?? "").split(separator: " ")
            guard fields.count == 5, fields[0] == "cpu", let user = Int64(fields[1]), let system = Int64(fields[2]),
                  let rss = Int(fields[4])
            else {
                throw BenchError("responder did not report its CPU time")
            }
            return (ProcessCPU(user: .microseconds(user), system: .microseconds(system)), rss)
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "lamplighter-bench")
        logger.logLevel = .error
        let client = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, group: group, logger: logger)
        let destination = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let target = SIPURI(host: "127.0.0.1", port: port)
        let local = SIPURI(user: "bench", host: "127.0.0.1", port: client.localAddress.port)

        /// `concurrency` tasks each send their share of `total` OPTIONS one after the other.
        func phase(_ name: String, concurrency: Int, total: Int, limit: Duration) async throws -> RoundTripFigure {
            let clock = ContinuousClock()
            let responderStart = try responderCPU().cpu
            let cpuStart = ProcessCPU.now()
            let start = clock.now
            let deadline = start + limit
            let (completed, failed) = await withTaskGroup(of: (Int, Int).self) { tasks in
                for worker in 0..<concurrency {
                    let share = total / concurrency + (worker < total % concurrency ? 1 : 0)
                    tasks.addTask {
                        var ok = 0
                        var bad = 0
                        for _ in 0..<share {
                            if clock.now >= deadline { break }
                            let request = OptionsPing.request(to: target, from: local, userAgent: "lamplighter-bench")
                            do {
                                let response = try await client.send(request, to: destination)
                                if response.statusCode == 200 { ok += 1 } else { bad += 1 }
                            } catch {
                                bad += 1
                            }
                        }
                        return (ok, bad)
                    }
                }
                return await tasks.reduce(into: (0, 0)) { $0.0 += $1.0; $0.1 += $1.1 }
            }
            let wall = clock.now - start
            let ourCPU = ProcessCPU.now() - cpuStart
            let responderCPU = try responderCPU().cpu - responderStart
            return RoundTripFigure(name: name, concurrency: concurrency, requested: total, completed: completed, failed: failed,
                                   wall: wall, ourCPU: ourCPU, responderCPU: responderCPU, timeCapped: completed + failed < total)
        }

        var figures: [RoundTripFigure] = []
        do {
            _ = try await phase("warm-up", concurrency: 1, total: min(500, count), limit: timeLimit)
            figures.append(try await phase("sequential", concurrency: 1, total: count, limit: timeLimit))
            figures.append(try await phase("64 concurrent", concurrency: 64, total: count, limit: timeLimit))
        } catch {
            await client.close()
            try? await group.shutdownGracefully()
            throw error
        }
        let responderRSS = try responderCPU().maxRSS
        let peak = peakRSSBytes()
        await client.close()
        try await group.shutdownGracefully()
        return RoundTripReport(figures: figures, rssBefore: rssBefore, peakRSS: peak, responderPeakRSS: responderRSS)
    }
}

private func microseconds(_ d: Duration) -> Int64 {
    let c = d.components
    return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
}
