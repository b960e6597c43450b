/// The parameter values of one statement in one buffer: text values NUL-terminated (libpq text format), byte
/// values raw (binary format, for `bytea`), SQL NULL as a missing value. Values are bound, never spliced into SQL.
public struct PostgresBindings: Sendable {
    /// Every value's bytes, back to back.
    var storage: [UInt8] = []
    /// Where each value starts in `storage`; -1 for NULL.
    var offsets: [Int] = []
    /// Byte length of binary values (libpq ignores it for text).
    var lengths: [Int32] = []
    /// 0 text, 1 binary, per value.
    var formats: [Int32] = []

    public init(reservingBytes bytes: Int = 0, values: Int = 0) {
        storage.reserveCapacity(bytes)
        offsets.reserveCapacity(values)
        lengths.reserveCapacity(values)
        formats.reserveCapacity(values)
    }

    /// Values bound so far.
    public var count: Int { offsets.count }

    /// Binds a text value (NULL when nil).
    public mutating func append(_ text: String?) {
        guard let text else { return appendNull() }
        offsets.append(storage.count)
        storage.append(contentsOf: text.utf8)
        storage.append(0)
        lengths.append(0)
        formats.append(0)
    }

    /// Binds an integer as text (NULL when nil).
    public mutating func append<I: BinaryInteger>(_ value: I?) {
        append(value.map { String($0) })
    }

    /// Binds raw bytes in binary format, for a `bytea` parameter (NULL when nil).
    public mutating func append(bytes: [UInt8]?) {
        guard let bytes else { return appendNull() }
        offsets.append(storage.count)
        storage.append(contentsOf: bytes)
        lengths.append(Int32(bytes.count))
        formats.append(1)
    }

    /// Binds SQL NULL.
    public mutating func appendNull() {
        offsets.append(-1)
        lengths.append(0)
        formats.append(0)
    }

    /// A `text[]` literal of `values`, to bind as one parameter (`$1::text[]`): each element quoted, with
    /// backslashes and quotes escaped as the array syntax wants.
    public static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// Calls `body` with libpq's parameter arrays (values, lengths, formats), valid only inside it.
    func withParameterArrays<R>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        storage.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset < 0 ? nil : base.map { $0 + offset } ?? emptyValue
            }
            return pointers.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}

/// A value for a zero-length buffer (never read: its length is 0 or it is an empty text, which is stored with a NUL).
nonisolated(unsafe) private let emptyValue: UnsafePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
}()
