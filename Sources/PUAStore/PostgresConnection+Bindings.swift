import CLibPQ
import Dispatch
import Synchronization

/// A statement prepared once per connection under `name` (PQprepare) and then executed by name.
public struct PostgresStatement: Sendable, Hashable {
    public let name: String
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

extension PostgresConnection {
    /// Executes a prepared statement (preparing it first on this connection) and returns the rows it affected.
    @discardableResult
    public func execute(_ statement: PostgresStatement, _ bindings: PostgresBindings) async throws(PostgresError) -> Int {
        try await onQueue { connection throws(PostgresError) in
            if !self.prepared.contains(statement.name) {
                let result = PQprepare(connection, statement.name, statement.sql, Int32(bindings.count), nil)
                try Self.check(result, connection)
                PQclear(result)
                self.prepared.insert(statement.name)
            }
            let result = bindings.withParameterArrays { values, lengths, formats in
                PQexecPrepared(connection, statement.name, Int32(bindings.count), values, lengths, formats, 0)
            }
            try Self.check(result, connection)
            defer { PQclear(result) }
            return Int(String(cString: PQcmdTuples(result))) ?? 0
        }
    }

    /// Executes one statement with bound values (unnamed, planned each time) and returns the rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ bindings: PostgresBindings) async throws(PostgresError) -> Int {
        try await onQueue { connection throws(PostgresError) in
            let result = bindings.withParameterArrays { values, lengths, formats in
                PQexecParams(connection, sql, Int32(bindings.count), nil, values, lengths, formats, 0)
            }
            try Self.check(result, connection)
            defer { PQclear(result) }
            return Int(String(cString: PQcmdTuples(result))) ?? 0
        }
    }

    /// Runs `query` through a cursor inside one read-only transaction, fetching `batch` rows at a time in binary
    /// format, and decodes each row on the connection's thread. Rows `decode` rejects are counted, not returned.
    public func fetchAll<T: Sendable>(
        _ query: String, _ bindings: PostgresBindings, batch: Int = 10_000,
        decode: @escaping @Sendable (borrowing PostgresRowReader) -> T?
    ) async throws(PostgresError) -> (rows: [T], rejected: Int) {
        let rows = Mutex<[T]>([])
        let rejected = try await fetchBatches(query, bindings, batch: batch, decode: decode) { decoded in
            rows.withLock { $0 += decoded }
        }
        return (rows.withLock { $0 }, rejected)
    }

    /// As ``fetchAll(_:_:batch:decode:)``, handing each decoded batch to `deliver` on the connection's thread
    /// as soon as it is read (so a consumer works on one batch while the next is fetched). Returns the number
    /// of rows `decode` rejected.
    public func fetchBatches<T: Sendable>(
        _ query: String, _ bindings: PostgresBindings, batch: Int = 10_000,
        decode: @escaping @Sendable (borrowing PostgresRowReader) -> T?, deliver: @escaping @Sendable ([T]) -> Void
    ) async throws(PostgresError) -> Int {
        try await onQueue { connection throws(PostgresError) in
            func run(_ sql: String, _ bindings: PostgresBindings = PostgresBindings(), binary: Bool = false) throws(PostgresError) -> OpaquePointer {
                let result = bindings.withParameterArrays { values, lengths, formats in
                    PQexecParams(connection, sql, Int32(bindings.count), nil, values, lengths, formats, binary ? 1 : 0)
                }
                try Self.check(result, connection)
                return result!
            }
            PQclear(try run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            var rejected = 0
            do throws(PostgresError) {
                PQclear(try run("DECLARE lamplighter_load NO SCROLL CURSOR FOR " + query, bindings))
                while true {
                    let result = try run("FETCH \(batch) FROM lamplighter_load", binary: true)
                    defer { PQclear(result) }
                    let count = PQntuples(result)
                    if count == 0 { break }
                    var rows: [T] = []
                    rows.reserveCapacity(Int(count))
                    for row in 0..<count {
                        if let value = decode(PostgresRowReader(result: result, row: row)) { rows.append(value) } else { rejected += 1 }
                    }
                    deliver(rows)
                }
                PQclear(try run("COMMIT"))
            } catch {
                PQclear(PQexec(connection, "ROLLBACK"))
                throw error
            }
            return rejected
        }
    }

    /// Runs `body` with the open connection on the connection's thread.
    func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws(PostgresError) -> T) async throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            queue.async {
                guard let connection = self.connection else {
                    continuation.resume(returning: .failure(PostgresError(code: .closed, message: "the connection is closed")))
                    return
                }
                do throws(PostgresError) {
                    continuation.resume(returning: .success(try body(connection)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Throws the error a failed (or missing) result stands for, clearing the result.
    static func check(_ result: OpaquePointer?, _ connection: OpaquePointer) throws(PostgresError) {
        guard let result else {
            throw PostgresError(code: .connectionLost, message: trimmed(PQerrorMessage(connection)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = trimmed(PQresultErrorMessage(result))
            PQclear(result)
            throw PostgresError(
                code: PQstatus(connection) == CONNECTION_OK ? .queryFailed : .connectionLost, sqlState: sqlState, message: message)
        }
    }
}
