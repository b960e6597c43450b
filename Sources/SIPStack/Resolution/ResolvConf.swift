import NIOCore

/// The name servers of a resolv.conf file (resolv.conf(5)); other directives are ignored.
public struct ResolvConf: Sendable, Equatable {
    /// The `nameserver` lines that hold an IP address, in order, port 53.
    public var nameservers: [SocketAddress]

    /// Parses resolv.conf text. Comments (`#`, `;`), unknown directives and addresses with a zone
    /// (`fe80::1%eth0`) or that do not parse are skipped.
    public init(parsing text: String) {
        nameservers = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // A zone (`%eth0`) would be dropped by SocketAddress, giving a link-local address without its interface.
            guard fields.count >= 2, fields[0] == "nameserver", !fields[1].contains("%") else { continue }
            if let address = try? SocketAddress(ipAddress: String(fields[1]), port: 53) {
                nameservers.append(address)
            }
        }
    }
}
