/// The rows a statement returned, as text (libpq's text format).
public struct PostgresRows: Sendable, Equatable {
    /// Column names in order.
    public var columns: [String]
    /// Each row's values; nil is SQL NULL.
    public var rows: [[String?]]
    /// The command tag's row count (INSERT/UPDATE/DELETE), 0 when none.
    public var affectedRows: Int

    public init(columns: [String], rows: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    /// The value of `column` in row `row`.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let index = columns.firstIndex(of: column), rows.indices.contains(row) else { return nil }
        return rows[row][index]
    }
}
