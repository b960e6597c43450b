/// A dialog state encodes as its RFC 4235 name.
extension DialogInfoDocument.State: Codable {}
