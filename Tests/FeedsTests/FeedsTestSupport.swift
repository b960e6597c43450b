import Foundation
import PUACore
import PresenceDocuments
@testable import Feeds

/// Schemas (RFC copies under Resources/xsd) and helpers to read adapter actions.
enum FeedsTestSupport {
    static let resources = Bundle.module.url(forResource: "Resources", withExtension: nil)!
    static let pidf = try! XMLSchema(path: resources.appendingPathComponent("xsd/pidf.xsd").path)
    static let dialogInfo = try! XMLSchema(path: resources.appendingPathComponent("xsd/dialog-info.xsd").path)

    static func publications(_ actions: [FeedAction]) -> [PublishParameters] {
        actions.compactMap { if case .publish(let parameters) = $0 { parameters } else { nil } }
    }

    static func body(_ parameters: PublishParameters?) -> String {
        String(decoding: parameters?.body ?? [], as: UTF8.self)
    }
}
