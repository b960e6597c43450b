/// A fault the daemon reports about a dependency or its start.
struct DaemonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
