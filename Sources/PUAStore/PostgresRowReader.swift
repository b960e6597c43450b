import CLibPQ

/// One row of a binary-format result, read in place on the connection's thread (no copy of the result as
/// text). Columns are addressed by position; the caller's SELECT fixes their types.
public struct PostgresRowReader: ~Copyable {
    let result: OpaquePointer
    /// The row being read.
    public let row: Int32

    /// Whether the column is SQL NULL.
    public func isNull(_ column: Int) -> Bool {
        PQgetisnull(result, row, Int32(column)) == 1
    }

    /// A `text` column (binary format is its UTF-8 bytes); nil for NULL.
    public func text(_ column: Int) -> String? {
        withBytes(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// A `bytea` column; nil for NULL.
    public func bytes(_ column: Int) -> [UInt8]? {
        withBytes(column) { Array($0) }
    }

    /// An `int2`, `int4` or `int8` column (network byte order, width from the value's length); nil for NULL or another width.
    public func integer(_ column: Int) -> Int64? {
        withBytes(column) { bytes -> Int64? in
            switch bytes.count {
            case 2: Int64(Int16(bitPattern: UInt16(bigEndianBytes: bytes)))
            case 4: Int64(Int32(bitPattern: UInt32(bigEndianBytes: bytes)))
            case 8: Int64(bitPattern: UInt64(bigEndianBytes: bytes))
            default: nil
            }
        } ?? nil
    }

    /// A `float8` column; nil for NULL or another width.
    public func double(_ column: Int) -> Double? {
        withBytes(column) { bytes -> Double? in
            bytes.count == 8 ? Double(bitPattern: UInt64(bigEndianBytes: bytes)) : nil
        } ?? nil
    }

    private func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard !isNull(column), let value = PQgetvalue(result, row, Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, row, Int32(column)))
        return value.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) { body(UnsafeBufferPointer(start: $0, count: length)) }
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    init(bigEndianBytes bytes: UnsafeBufferPointer<UInt8>) {
        var value: Self = 0
        for byte in bytes { value = value << 8 | Self(byte) }
        self = value
    }
}
