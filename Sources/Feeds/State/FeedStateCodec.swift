import Foundation
import PUACore

/// JSON for the adapters' stored state (Foundation's coder; non-finite numbers as strings, so encoding cannot fail
/// on a value the adapters hold).
enum FeedStateCodec {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("adapter state always encodes: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ record: FeedStateRecord) throws(FeedStateError) -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(type, from: Data(record.state))
        } catch {
            throw FeedStateError(feed: record.feed, key: record.key, context: "\(error)")
        }
    }
}
