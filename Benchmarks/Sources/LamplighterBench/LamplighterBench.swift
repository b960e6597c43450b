import SIPCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lamplighter-bench [--quick]`: SIP parse/serialize throughput and UDP transaction cost, as a table.
@main
enum LamplighterBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == UDPRoundTrip.responderFlag {
            await UDPRoundTrip.runResponder()
            return
        }
        if arguments.first == UDPFloor.echoFlag, arguments.count == 2, let port = Int(arguments[1]) {
            UDPFloor.runEcho(port: port)
        }
        if arguments.first == EngineBenchmarks.responderFlag {
            await EngineBenchmarks.runResponder()
            return
        }
        var quick = false
        var only: String?
        var database: String?
        var presenceServer: String?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick": quick = true
            case "--only" where ["core", "udp", "engine", "spread", "feeds", "store", "anchor"].contains(rest.first ?? ""): only = rest.popFirst()
            case "--database" where rest.first != nil: database = rest.popFirst()
            case "--presence-server" where rest.first != nil: presenceServer = rest.popFirst()
            case "--help", "-h": usage(status: 0)
            default: usage(status: 2)
            }
        }
        let runs = quick ? 3 : 7
        let runDuration: Duration = quick ? .milliseconds(300) : .seconds(1)
        let transactions = quick ? 2_000 : 20_000
        let udpTimeLimit: Duration = quick ? .seconds(3) : .seconds(10)

        let machine = Machine.current()
        print("# lamplighter-bench\(quick ? " --quick" : "")")
        print("")
        print("machine: \(machine.cpus) CPUs online (nproc), \(machine.cpuModel); load average at start \(machine.loadAverage)")
        print("")

        if only == nil || only == "core" {
            runCore(runs: runs, duration: runDuration)
        }
        if only == nil || only == "udp" {
            await runUDP(transactions: transactions, timeLimit: udpTimeLimit)
        }
        if only == nil || only == "engine" {
            await runEngine(publications: quick ? 5_000 : 50_000)
        }
        if only == nil || only == "spread" {
            await runSpread(publications: 100_000, hours: quick ? 2 : 4)
        }
        var feeds: (registrations: FeedThroughputFigure, calls: FeedThroughputFigure)?
        if only == nil || only == "feeds" || only == "anchor" {
            feeds = await runFeeds(events: quick ? 6_000 : 60_000, seconds: quick ? 3 : 10)
        }
        if let presenceServer, only == nil || only == "feeds" {
            // Kamailio's presence server takes dialog-info far more slowly than PIDF (see the README): fewer calls.
            await runFeedsToServer(presenceServer, workload: .registrations, events: quick ? 3_000 : 15_000, seconds: quick ? 2 : 5)
            await runFeedsToServer(presenceServer, workload: .calls, events: quick ? 600 : 3_000, seconds: quick ? 2 : 5)
        }
        if only == "anchor" || (only == nil && database != nil) {
            await runAnchor(.registrations, count: quick ? 5_000 : 20_000, rate: 6_000, pgPort: anchorDatabasePort, lamplighter: feeds?.registrations)
            await runAnchor(.calls, count: quick ? 2_000 : 10_000, rate: 700, pgPort: anchorDatabasePort, lamplighter: feeds?.calls)
        }
        if only == "store" || (only == nil && database != nil) {
            await runStore(url: database ?? "postgresql://lamplighter:lamplighter@127.0.0.1:15432/lamplighter", rows: quick ? 100_000 : 1_000_000)
        }
        print("load average at end \(Machine.current().loadAverage)")
    }

    static func usage(status: Int32) -> Never {
        print("""
            usage: lamplighter-bench [--quick] [--only core|udp|engine|spread|feeds|store|anchor] [--database URL] [--presence-server URI]

            Measures SIPCore parse/serialize throughput on one thread (a ~830-byte PUBLISH with a PIDF
            body and its 200 OK) and SIPStack UDP OPTIONS transactions over 127.0.0.1 against a
            responder in a child process, sequentially and 64 at a time; the publication engine's PUBLISH
            throughput over UDP to a responder process answering 200 with a SIP-ETag; and the spread of
            refreshes of 100,000 publications made in the same 10 s (virtual clock); and registration events
            from a redis-server of its own through the feeds to PUBLISH on the wire. Prints Markdown tables.
              --quick        fewer and shorter runs (about 10 s instead of about 1 minute)
              --only core    only the SIPCore parse/serialize figures
              --only udp     only the UDP transaction figures
              --only engine  only the engine's PUBLISH throughput
              --only spread  only the refresh spread
              --only feeds   only Redis events to PUBLISH (needs redis-server installed)
              --only store   only write-behind and recovery against PostgreSQL (default: the deploy/up
                             stack's database; --database URL for another; a table of its own, dropped after)
              --only anchor  the feeds, then Kamailio's pua_usrloc on the same work (needs kamailio, sipp and
                             the deploy/up PostgreSQL for pua's table), with the ratio
              --presence-server URI  also run the feeds against this real presence server (deploy/bench
                             passes the deploy/up Kamailio)
            """)
        exit(status)
    }

    static func runCore(runs: Int, duration runDuration: Duration) {
        let core = runSIPCoreBenchmarks(runs: runs, duration: runDuration)
        print("## SIPCore, one thread (\(runs) runs of \(runDuration) after a warm-up; rates per CPU-second of the thread)")
        print("")
        print("| operation | bytes | median /s | best /s | median /s (wall clock) | target /s | median ÷ target |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for f in core {
            print("| \(f.name) | \(f.bytes) | \(grouped(f.medianPerCPUSecond)) | \(grouped(f.bestPerCPUSecond)) | \(grouped(f.medianPerWallSecond)) | ≥ \(grouped(f.target)) | \(fixed(f.medianPerCPUSecond / f.target, 2))× |")
        }
        print("")
    }

    static func runUDP(transactions: Int, timeLimit udpTimeLimit: Duration) async {
        let cpuTarget = 20.0  // µs of CPU per UDP transaction on our side
        do {
            let report = try await UDPRoundTrip.run(count: transactions, timeLimit: udpTimeLimit)
            print("## SIPStack UDP transactions: OPTIONS → 200 OK over 127.0.0.1 (responder: \(UDPRoundTrip.responderDescription))")
            print("")
            print("| mode | transactions | failed | tx/s (wall clock) | CPU µs/tx, ours (user + sys) | target µs/tx | target ÷ ours | CPU µs/tx, responder (user + sys) |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for f in report.figures {
                let count = "\(grouped(Double(f.completed)))\(f.timeCapped ? " (time cap \(udpTimeLimit))" : "")"
                print("| \(f.name) | \(count) | \(f.failed) | \(grouped(f.perWallSecond)) | \(split(f, f.ourCPU)) | < \(fixed(cpuTarget, 0)) | \(fixed(cpuTarget / f.ourMicrosecondsPerTransaction, 2))× | \(split(f, f.responderCPU)) |")
            }
            print("")
            let floor = try UDPFloor.run(count: transactions)
            print("kernel floor on this machine (no SIP, no NIO: blocking sockets, a 520-byte request and a 380-byte answer")
            print("from an echo process): \(fixed(floor.sequential, 1)) µs of CPU per round trip one at a time, \(fixed(floor.batched, 1)) µs")
            print("with 64 sent before their answers are read (one send and one recv call each).")
            print("")
            print("peak RSS: bench process \(mebibytes(report.peakRSS)) (\(mebibytes(report.rssBefore)) before the UDP phases), responder")
            print("\(mebibytes(report.responderPeakRSS)). Memory grows with the rate: completed transactions and their timers are kept")
            print("for a while (client: Timer K 5 s, Timer F 32 s; server: Timer J 32 s).")
        } catch {
            print("UDP round trip failed: \(error)")
            exit(1)
        }
        print("")
    }
}

extension LamplighterBench {
    static func runEngine(publications: Int) async {
        let target = 10_000.0
        do {
            let figures = try await EngineBenchmarks.throughput(count: publications)
            print("## PUACore engine: PUBLISH over UDP to a responder process answering 200 + SIP-ETag (\(grouped(Double(publications))) publications)")
            print("")
            print("| phase | published | failed or missing | PUBLISH/s (wall clock) | target /s | ÷ target | CPU µs/PUBLISH, ours (user + sys) | CPU µs/PUBLISH, responder |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for f in figures {
                let ours = "\(fixed(f.perPublish(f.ourCPU.total), 1)) (\(fixed(f.perPublish(f.ourCPU.user), 1)) + \(fixed(f.perPublish(f.ourCPU.system), 1)))"
                print("| \(f.name) | \(grouped(Double(f.published))) | \(f.publications - f.published) | \(grouped(f.perWallSecond)) | ≥ \(grouped(target)) | \(fixed(f.perWallSecond / target, 2))× | \(ours) | \(fixed(f.perPublish(f.responderCPU.total), 1)) |")
            }
            print("")
        } catch {
            print("engine benchmark failed: \(error)")
            exit(1)
        }
    }

    /// The deploy/up PostgreSQL, where the anchor's pua module keeps its table.
    static let anchorDatabasePort = 15432

    static func runAnchor(
        _ workload: AnchorBenchmarks.Workload, count: Int, rate: Int, pgPort: Int, lamplighter: FeedThroughputFigure?
    ) async {
        do {
            let f = try await AnchorBenchmarks.run(workload, count: count, rate: rate, pgPort: pgPort)
            let sipp = f.sippStatus == 0 ? "all succeeded" : "sipp exit status \(f.sippStatus): some failed"
            switch workload {
            case .registrations:
                print("## Anchor: Kamailio registrar + usrloc + pua + pua_usrloc (2 workers) publishing to the same responder, \(grouped(Double(count))) sipp REGISTERs of new AORs offered at \(grouped(Double(rate)))/s (\(sipp))")
            case .calls:
                print("## Anchor: Kamailio proxy + dialog + pua + pua_dialoginfo (2 workers) publishing to the same responder, \(grouped(Double(count))) sipp calls between new users offered at \(grouped(Double(rate)))/s through it to a sipp answering them, held 0.5 s (\(sipp))")
            }
            print("")
            print("| publisher | events | PUBLISH 2xx | PUBLISH/s | CPU s | PUBLISH per CPU-second | events per CPU-second |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            // A call is three state changes (early, confirmed, terminated), as the Lamplighter run's events.
            let events = workload == .calls ? 3 * f.registrations : f.registrations
            let what = workload == .calls ? "Kamailio pua_dialoginfo (calls → dialog-info PUBLISH; all its processes)" : "Kamailio pua_usrloc (REGISTER → PUBLISH; all its processes)"
            print("| \(what) | \(grouped(Double(events))) | \(grouped(Double(f.publishes))) | \(grouped(f.perSecond)) | \(fixed(f.kamailioCPU.seconds, 2)) | \(grouped(f.perCPUSecond)) | \(grouped(Double(events) / max(f.kamailioCPU.seconds, 1e-9))) |")
            if let l = lamplighter {
                let ours = workload == .calls ? "Lamplighter (Redis dialog events → dialog-info PUBLISH; the bench process)" : "Lamplighter (Redis event → PUBLISH; the bench process)"
                print("| \(ours) | \(grouped(Double(l.events))) | \(grouped(Double(l.published))) | \(grouped(l.perSecond)) | \(fixed(l.cpu.seconds, 2)) | \(grouped(l.perCPUSecond)) | \(grouped(l.eventsPerCPUSecond)) |")
                print("")
                let kamailioEvents = Double(events) / max(f.kamailioCPU.seconds, 1e-9)
                print("Lamplighter ÷ Kamailio: \(fixed(l.perSecond / max(f.perSecond, 1e-9), 2))× PUBLISH per second, \(fixed(l.perCPUSecond / max(f.perCPUSecond, 1e-9), 2))× PUBLISH per CPU-second (target ≥ 3×), \(fixed(l.eventsPerCPUSecond / max(kamailioEvents, 1e-9), 2))× events per CPU-second.")
            }
            print("")
        } catch {
            print("anchor benchmark failed: \(error)")
        }
    }

    /// The feeds against a real presence server (e.g. deploy/up's Kamailio, which writes each publication to
    /// PostgreSQL).
    static func runFeedsToServer(_ server: String, workload: FeedWorkload, events: Int, seconds: Int) async {
        do {
            let uri = try SIPURI(parsing: server)
            let (throughput, latency) = try await FeedBenchmarks.run(
                workload: workload, throughputEvents: events, latencyRate: nil, latencySeconds: seconds, server: uri)
            let what = workload == .calls ? "dialog events (calls: early, confirmed, terminated) on Redis → dialog-info PUBLISH" : "registration events on Redis → PIDF PUBLISH"
            print("## Feeds against the real presence server \(server): \(what) → Kamailio presence (presentity rows in PostgreSQL)")
            print("")
            printFeedTable(throughput, latency, seconds: seconds, target: false)
        } catch {
            print("feeds against \(server) failed: \(error)")
        }
    }

    static func printFeedTable(_ throughput: FeedThroughputFigure, _ latencies: [FeedLatencyFigure], seconds: Int, target: Bool) {
        print("| phase | events | PUBLISH 2xx | lost | events/s | PUBLISH/s | PUBLISH per CPU-second | target |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        let goal = target ? "≥ 10,000 events/s (\(fixed(throughput.eventsPerSecond / 10_000, 2))×)" : "–"
        print("| as fast as Redis takes them | \(grouped(Double(throughput.events))) | \(grouped(Double(throughput.published))) | \(throughput.lost) | \(grouped(throughput.eventsPerSecond)) | \(grouped(throughput.perSecond)) | \(grouped(throughput.perCPUSecond)) | \(goal) |")
        for (index, latency) in latencies.enumerated() {
            let what = index == 0 ? "(half that)" : "(the latency target's rate)"
            print("| steady \(grouped(Double(latency.rate)))/s \(what) for \(seconds) s | \(grouped(Double(latency.events))) | \(grouped(Double(latency.published))) | \(max(0, latency.expected - latency.published)) | \(grouped(Double(latency.rate))) | – | – | – |")
        }
        print("")
        for latency in latencies {
            let p99Target = target && latency.rate == 5000 ? " (target < 5 ms, \(fixed(0.005 / max(latency.p99.seconds, 1e-9), 2))×)" : ""
            print("event → PUBLISH handed to the SIP stack at \(grouped(Double(latency.rate)))/s: p50 \(fixed(latency.p50.seconds * 1000, 2)) ms, p99 \(fixed(latency.p99.seconds * 1000, 2)) ms\(p99Target), max \(fixed(latency.max.seconds * 1000, 2)) ms.")
            print("")
        }
    }

    static func runFeeds(events: Int, seconds: Int) async -> (registrations: FeedThroughputFigure, calls: FeedThroughputFigure) {
        let rates = FeedBenchmarks.decodeRate(runs: 3, duration: .milliseconds(500))
        print("## Feeds, one thread: decode a registration event \(grouped(rates.decode))/s; apply it in the registration adapter (PIDF built) \(grouped(rates.adapt))/s (per CPU-second)")
        print("")
        do {
            let (registrations, registrationLatency) = try await FeedBenchmarks.run(
                workload: .registrations, throughputEvents: events, latencyRate: nil, latencySeconds: seconds)
            print("## Feeds: registration events on Redis pub/sub → PIDF PUBLISH → responder process (redis-server of the bench's own)")
            print("")
            printFeedTable(registrations, registrationLatency, seconds: seconds, target: true)
            let (calls, callLatency) = try await FeedBenchmarks.run(
                workload: .calls, throughputEvents: events, latencyRate: nil, latencySeconds: seconds)
            print("## Feeds: dialog events on Redis pub/sub (\(grouped(Double(events / 3))) calls between new users: early, confirmed, terminated) → dialog-info PUBLISH for caller and callee → responder process")
            print("")
            print("Updates of one presentity coalesce while its PUBLISH is in flight (latest wins); each presentity's idle document follows 2 s after its call ended and is counted. Lost: presentities whose terminated state never reached the responder. Latency: early events of new calls, to the caller's PUBLISH.")
            print("")
            printFeedTable(calls, callLatency, seconds: seconds, target: true)
            return (registrations, calls)
        } catch {
            print("feeds benchmark failed: \(error)")
            exit(1)
        }
    }

    static func runStore(url: String, rows: Int) async {
        do {
            let f = try await StoreBenchmarks.run(url: url, rows: rows)
            print("## PUAStore: \(grouped(Double(f.rows))) publications into PostgreSQL and back (engine batches of 10,000 rows, statements of 1,000 on two connections; server with fsync on unless --database says otherwise)")
            print("")
            print("| step | time | rate | target |")
            print("|---|---:|---:|---:|")
            print("| upsert (write-behind) | \(fixed(f.upsert.seconds, 2)) s | \(grouped(f.upsertPerSecond)) rows/s | ≥ 50,000 rows/s (\(fixed(f.upsertPerSecond / 50_000, 2))×) |")
            print("| load all (into an array, alone) | \(fixed(f.load.seconds, 2)) s | \(grouped(Double(f.rows) / max(f.load.seconds, 1e-9))) rows/s | – |")
            print("| recover: load and resume (\(grouped(Double(f.resumed))) resumed, batches resumed while the next are read) | \(fixed(f.recover.seconds, 2)) s | \(grouped(Double(f.rows) / max(f.recover.seconds, 1e-9))) rows/s | < 20 s for 1,000,000 (\(fixed(20 / max(f.recover.seconds * 1_000_000 / Double(max(f.rows, 1)), 1e-9), 2))× scaled to 1,000,000) |")
            print("")
            print("engine memory after recovery: \(fixed(Double(f.rssAfter - f.rssBefore) / Double(max(f.rows, 1)), 0)) bytes per record including its body (RSS \(mebibytes(f.rssBefore)) → \(mebibytes(f.rssAfter)); peak RSS \(mebibytes(peakRSSBytes()))).")
            print("")
        } catch {
            print("store benchmark failed: \(error)")
            exit(1)
        }
    }

    static func runSpread(publications: Int, hours: Int) async {
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let f = try await EngineBenchmarks.refreshSpread(count: publications, hours: hours)
            let took = clock.now - start
            print("## PUACore refresh spread: \(grouped(Double(f.publications))) publications made in the same 10 s, granted 3600 s, \(hours) h simulated")
            print("")
            print("| window | refreshes | mean /s | busiest second | busiest ÷ mean | target |")
            print("|---|---:|---:|---:|---:|---:|")
            print("| from the first refresh (second \(f.firstRefreshSecond)) to the end | \(grouped(Double(f.refreshes))) | \(fixed(f.mean, 1)) | \(f.busiest) | \(fixed(Double(f.busiest) / f.mean, 2))× | ≤ 2× |")
            print("| last hour | – | \(fixed(f.lastHourMean, 1)) | \(f.lastHourBusiest) | \(fixed(Double(f.lastHourBusiest) / f.lastHourMean, 2))× | ≤ 2× |")
            print("")
            print("failed publications: \(f.failed); simulation took \(fixed(took.seconds, 1)) s of wall clock.")
            print("")
        } catch {
            print("spread benchmark failed: \(error)")
            exit(1)
        }
    }
}

/// "151.8 (62.1 + 89.7)": CPU µs per transaction, user + system.
func split(_ figure: RoundTripFigure, _ cpu: ProcessCPU) -> String {
    "\(fixed(figure.perTransaction(cpu.total), 1)) (\(fixed(figure.perTransaction(cpu.user), 1)) + \(fixed(figure.perTransaction(cpu.system), 1)))"
}

/// 1234567.8 → "1,234,568".
func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var out = ""
    for (i, c) in digits.reversed().enumerated() {
        if i > 0, i % 3 == 0, c != "-" { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

/// Fixed-point formatting without Foundation.
func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "–" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale)
    let frac = scaled % Int(scale)
    var text = (value < 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let f = String(frac)
        text += "." + String(repeating: "0", count: decimals - f.count) + f
    }
    return text
}

func mebibytes(_ bytes: Int) -> String {
    "\(fixed(Double(bytes) / 1_048_576, 1)) MiB"
}
