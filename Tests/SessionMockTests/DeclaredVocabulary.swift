import Seeds
import SessionMock

// Tests parse and load seeds with the vocabulary the app declares, as the server does.
extension SeedParser {
    static func parse(_ bytes: [UInt8], file: String) throws(SeedError) -> SeedDocument {
        try parse(bytes, file: file, vocabulary: SessionMockApp.seedVocabulary)
    }
}

extension SeedLoader {
    static func load(path: String) throws(SeedError) -> [String: SeedDocument] {
        try load(path: path, vocabulary: SessionMockApp.seedVocabulary)
    }

    static func bundledDefault() -> [String: SeedDocument] {
        bundledDefault(vocabulary: SessionMockApp.seedVocabulary)
    }
}
