import PUACore
import PresenceDocuments

/// One lamp of the BLF board: an AOR and what its publications say.
public struct BoardLamp: Sendable, Equatable, Codable {
    /// What a lamp shows.
    public enum State: String, Sendable, Equatable, Codable {
        /// Not registered (presence closed) and in no call.
        case offline
        /// Registered (or unknown) and in no call.
        case idle
        /// A call rings (trying, proceeding, early).
        case ringing
        /// In a call (confirmed).
        case busy
    }

    /// A shared-line appearance (`dialog;sla`, `x-line-index`).
    public struct Appearance: Sendable, Equatable, Codable {
        public var index: Int
        public var state: State
    }

    public var aor: String
    public var state: State
    /// Presence: true open, false closed, nil unpublished.
    public var online: Bool?
    /// Shared-line appearances in use, by index.
    public var appearances: [Appearance]
    /// Message-summary: nil when unpublished.
    public var messagesWaiting: Bool?

    /// The board from the engine's publications: one lamp per presentity, in AOR order.
    public static func lamps(from publications: [PublicationSnapshot]) -> [BoardLamp] {
        var lamps: [String: BoardLamp] = [:]
        for publication in publications {
            guard let body = publication.body else { continue }
            let aor = publication.key.presentity
            var lamp = lamps[aor] ?? BoardLamp(aor: aor, state: .idle, online: nil, appearances: [], messagesWaiting: nil)
            switch publication.key.event {
            case "presence":
                if let document = try? PIDFDocument(parsing: body) {
                    lamp.online = (lamp.online ?? false) || document.tuples.contains { $0.basic == .open }
                }
            case "dialog":
                if let document = try? DialogInfoDocument(parsing: body) {
                    lamp.state = max(lamp.state, callState(document.dialogs.map(\.state)))
                }
            case "dialog;sla":
                if let document = try? DialogInfoDocument(parsing: body) {
                    for dialog in document.dialogs {
                        guard let index = dialog.local?.targetParameters.first(where: { $0.name == "x-line-index" }).flatMap({ Int($0.value) }) else { continue }
                        let state = callState([dialog.state])
                        if let existing = lamp.appearances.firstIndex(where: { $0.index == index }) {
                            lamp.appearances[existing].state = max(lamp.appearances[existing].state, state)
                        } else if state != .idle {
                            lamp.appearances.append(Appearance(index: index, state: state))
                        }
                    }
                    lamp.appearances.sort { $0.index < $1.index }
                }
            case "message-summary":
                let text = String(decoding: body, as: UTF8.self).lowercased()
                lamp.messagesWaiting = text.contains("messages-waiting: yes")
            default:
                continue
            }
            lamps[aor] = lamp
        }
        return lamps.keys.sorted().map { aor in
            var lamp = lamps[aor]!
            if lamp.state == .idle, lamp.online == false { lamp.state = .offline }
            return lamp
        }
    }

    /// A call lamp from dialog states: busy over ringing over idle (terminated dialogs are idle).
    static func callState(_ states: [DialogInfoDocument.State]) -> State {
        if states.contains(.confirmed) { return .busy }
        if states.contains(where: { [.trying, .proceeding, .early].contains($0) }) { return .ringing }
        return .idle
    }
}

extension BoardLamp.State: Comparable {
    /// offline < idle < ringing < busy: the stronger state wins when several publications speak.
    public static func < (a: Self, b: Self) -> Bool {
        let order: [Self] = [.offline, .idle, .ringing, .busy]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}
