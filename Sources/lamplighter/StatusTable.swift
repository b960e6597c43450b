import Foundation
import StatusServer

/// /status as plain-text tables (``StatusCommand``): pure, so tests check the text.
enum StatusTable {
    static func render(_ status: StatusDocument, now: Double) -> String {
        var out = "\(status.service) \(status.version)"
        if let cluster = status.cluster {
            out += " on \(cluster.node)" + (cluster.id.map { " (cluster \($0)\(cluster.sharingTag.map { ", tag \($0)" } ?? ""))" } ?? "")
        }
        out += ": \(status.ready ? "ready" : "NOT READY"), up \(duration(status.uptimeSeconds))\n\n"
        out += table(["component", "state", "for", "detail"], status.components.map { component in
            [component.name, component.state.name + (component.state.errorText.map { " (\($0))" } ?? ""),
             duration(max(0, now - component.since)), component.detail]
        })
        if let cluster = status.cluster, let tags = cluster.tags, !tags.isEmpty {
            out += "\n" + table(["sharing tag", "held by"], tags.map { [$0.tag, $0.holder ?? "nobody"] })
        }
        if let cluster = status.cluster, let nodes = cluster.nodes, !nodes.isEmpty {
            out += "\n" + table(["node", "tags", "last heard"], nodes.map {
                [$0.node, $0.tags.isEmpty ? "-" : $0.tags.joined(separator: ", "), duration($0.lastSeenSecondsAgo) + " ago"]
            })
        }
        if let publications = status.publications {
            let states = ["published", "publishing", "failed", "idle"]
            out += "\n" + table(["publications"] + states + ["total"], publications.keys.sorted().map { event in
                let counts = publications[event] ?? [:]
                return [event] + states.map { String(counts[$0] ?? 0) } + [String(counts.values.reduce(0, +))]
            })
        }
        if let inFlight = status.transactionsInFlight {
            let replies = (status.replies ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            out += "\nPUBLISH in flight: \(inFlight); replies since start: \(replies.isEmpty ? "none" : replies)\n"
        }
        if let database = status.database {
            var line = "store: \(database.unflushed) change(s) waiting"
            if let at = database.lastFlushAt {
                line += "; last write \(duration(max(0, now - at))) ago, \(database.lastFlushRecords ?? 0) record(s) in "
                    + String(format: "%.3f s", database.lastFlushSeconds ?? 0) + ((database.lastFlushSucceeded ?? false) ? ", ok" : ", FAILED")
            }
            out += line + "\n"
        }
        if let feeds = status.feeds, !feeds.isEmpty {
            out += "\n" + table(["feed", "received", "applied", "rejected", "stale", "last event", "lag"], feeds.map { feed in
                let rejected = feed.rejected.values.reduce(0, +)
                return [feed.feed, String(feed.received), String(feed.applied),
                        rejected == 0 ? "0" : "\(rejected) (" + feed.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")",
                        String(feed.stale), feed.lastEventAt.map { duration(max(0, now - $0)) + " ago" } ?? "-",
                        feed.lagSeconds.map { String(format: "%.3f s", $0) } ?? "-"]
            })
        }
        return out
    }

    /// Columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `3d 4h`, `2h 13m`, `5m 2s`, `42s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3_600, total % 3_600 / 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(secs)s" }
        return "\(secs)s"
    }
}
