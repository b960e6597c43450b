/// Who asked for a publication (the seed's `source_flag`): callbacks are registered per source, and the
/// status board and admin API show it.
public struct PublicationSource: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Registrations (`pua_usrloc`).
    public static let registrations = PublicationSource(rawValue: "registrations")
    /// Dialog state for BLF (`pua_dialoginfo`).
    public static let dialogs = PublicationSource(rawValue: "dialogs")
    /// Shared-line appearances (`pua_bla`).
    public static let sharedLines = PublicationSource(rawValue: "shared-lines")
    /// Voicemail counts (message-summary).
    public static let voicemail = PublicationSource(rawValue: "voicemail")
    /// The admin API (`pua_mi`).
    public static let admin = PublicationSource(rawValue: "admin")

    public var description: String { rawValue }
}
