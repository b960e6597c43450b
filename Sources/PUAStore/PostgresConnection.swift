import CLibPQ
import Dispatch

/// One blocking libpq connection, confined to its own serial queue (never the Swift concurrency pool).
///
/// Statements take their values as parameters (`$1`, `$2`): SQL is never built by concatenating values.
public final class PostgresConnection: @unchecked Sendable {
    let queue: DispatchQueue
    /// Only touched on `queue`.
    var connection: OpaquePointer?
    /// Names of the statements prepared on this connection; only touched on `queue`.
    var prepared: Set<String> = []
    /// `host:port/dbname`, for messages; never the password.
    public let target: String

    private init(connection: OpaquePointer, queue: DispatchQueue, target: String) {
        self.connection = connection
        self.queue = queue
        self.target = target
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Connects with a `postgresql://` URL; `connectTimeout` in whole seconds.
    public static func connect(url: String, connectTimeout: Int = 5) async throws(PostgresError) -> PostgresConnection {
        let queue = DispatchQueue(label: "lamplighter.postgres")
        let result: Result<PostgresConnection, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                let keywords = ["dbname", "connect_timeout", "application_name"]
                let values = [url, String(connectTimeout), "lamplighter"]
                let connection = withCStrings(keywords) { keywordPointers in
                    withCStrings(values) { valuePointers in
                        PQconnectdbParams(keywordPointers, valuePointers, 1)
                    }
                }
                guard let connection else {
                    continuation.resume(returning: .failure(PostgresError(code: .connectFailed, message: "out of memory")))
                    return
                }
                guard PQstatus(connection) == CONNECTION_OK else {
                    let message = Self.trimmed(PQerrorMessage(connection))
                    PQfinish(connection)
                    continuation.resume(returning: .failure(PostgresError(code: .connectFailed, message: message)))
                    return
                }
                let target = "\(String(cString: PQhost(connection))):\(String(cString: PQport(connection)))/\(String(cString: PQdb(connection)))"
                continuation.resume(returning: .success(PostgresConnection(connection: connection, queue: queue, target: target)))
            }
        }
        return try result.get()
    }

    /// Runs one statement with text parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws(PostgresError) -> PostgresRows {
        let result: Result<PostgresRows, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.queryBlocking(sql, parameters))
            }
        }
        return try result.get()
    }

    /// Runs a trusted script of several statements (a migration file from `sql/`) without parameters.
    /// Values never go through here: use ``query(_:_:)`` with parameters for them.
    public func executeScript(_ script: String) async throws(PostgresError) {
        let result: Result<Void, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                guard let connection = self.connection else {
                    continuation.resume(returning: .failure(PostgresError(code: .closed, message: "the connection is closed")))
                    return
                }
                guard let result = PQexec(connection, script) else {
                    continuation.resume(returning: .failure(PostgresError(code: .connectionLost, message: Self.trimmed(PQerrorMessage(connection)))))
                    return
                }
                defer { PQclear(result) }
                switch PQresultStatus(result) {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                    continuation.resume(returning: .success(()))
                default:
                    let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                    continuation.resume(returning: .failure(PostgresError(
                        code: PQstatus(connection) == CONNECTION_OK ? .queryFailed : .connectionLost, sqlState: sqlState,
                        message: Self.trimmed(PQresultErrorMessage(result)))))
                }
            }
        }
        try result.get()
    }

    /// Closes the connection.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let connection = self.connection { PQfinish(connection) }
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func queryBlocking(_ sql: String, _ parameters: [String?]) -> Result<PostgresRows, PostgresError> {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let connection else { return .failure(PostgresError(code: .closed, message: "the connection is closed")) }
        let result = withOptionalCStrings(parameters) { pointers in
            PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard let result else {
            return .failure(PostgresError(code: .connectionLost, message: Self.trimmed(PQerrorMessage(connection))))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            let columnCount = Int(PQnfields(result))
            let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
            var rows: [[String?]] = []
            let rowCount = Int(PQntuples(result))
            rows.reserveCapacity(rowCount)
            for row in 0..<rowCount {
                rows.append((0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                })
            }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return .success(PostgresRows(columns: columns, rows: rows, affectedRows: affected))
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = Self.trimmed(PQresultErrorMessage(result))
            let code: PostgresError.Code = PQstatus(connection) == CONNECTION_OK ? .queryFailed : .connectionLost
            return .failure(PostgresError(code: code, sqlState: sqlState, message: message))
        }
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        var text = String(cString: message)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { pointers in
        var terminated = Array(UnsafeBufferPointer(start: pointers, count: strings.count))
        terminated.append(nil)
        return terminated.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let buffers: [UnsafeMutablePointer<CChar>?] = strings.map { string in
        guard let string else { return nil }
        let utf8 = Array(string.utf8CString)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        buffer.initialize(from: utf8, count: utf8.count)
        return buffer
    }
    defer { buffers.forEach { $0?.deallocate() } }
    let pointers: [UnsafePointer<CChar>?] = buffers.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
