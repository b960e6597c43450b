import SIPStack
import Synchronization

/// A ``DNSLookup`` answering from a table, recording the questions asked. Unknown questions get NXDOMAIN.
final class FakeDNS: DNSLookup {
    private let table: [String: Result<DNSMessage, DNSError>]
    private let asked = Mutex<[String]>([])

    /// `answers` keyed by `"name TYPE"`, e.g. `"_sip._udp.pbx.test SRV"`.
    init(_ answers: [String: Result<DNSMessage, DNSError>]) {
        table = answers
    }

    /// The questions asked so far, as `"name TYPE"`.
    var questions: [String] { asked.withLock { $0 } }

    func query(_ name: String, type: DNSRecordType) async throws(DNSError) -> DNSMessage {
        let key = "\(name) \(type)"
        asked.withLock { $0.append(key) }
        guard let result = table[key] else {
            return DNSMessage(responseCode: .nameError, questions: [DNSQuestion(name: name, type: type)])
        }
        return try result.get()
    }
}
