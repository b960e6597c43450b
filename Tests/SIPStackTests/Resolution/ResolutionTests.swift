import Testing

/// Groups the RFC 3263 resolution suites, so that `swift test --filter Resolution` runs them all.
@Suite enum ResolutionTests {}
