import Testing
@testable import LamplighterConfig

@Suite struct TOMLParserTests {
    @Test func readsScalarsTablesAndArrays() throws {
        let table = try TOMLParser.parse("""
            # comment
            title = "Lamp\\tlighter \\u00e9"  # trailing comment
            literal = 'C:\\path'
            count = 1_000
            hex = 0xff
            negative = -42
            ratio = 0.5
            enabled = true
            [server]
            listen = [
              "udp:127.0.0.1:5070",  # first
              "tcp:127.0.0.1:5070",
            ]
            "quoted key" = 1
            [server.nested]
            deep.dotted = "x"
            inline = { a = 1, b = "two" }
            """)
        #expect(table["title"] == .string("Lamp\tlighter é"))
        #expect(table["literal"] == .string("C:\\path"))
        #expect(table["count"] == .integer(1000))
        #expect(table["hex"] == .integer(255))
        #expect(table["negative"] == .integer(-42))
        #expect(table["ratio"] == .float(0.5))
        #expect(table["enabled"] == .boolean(true))
        guard case .table(let server)? = table["server"] else { Issue.record("no [server]"); return }
        #expect(server["listen"] == .array([.string("udp:127.0.0.1:5070"), .string("tcp:127.0.0.1:5070")]))
        #expect(server["quoted key"] == .integer(1))
        let paths = table.flattened().map(\.path)
        #expect(paths.contains("server.nested.deep.dotted"))
        #expect(paths.contains("server.nested.inline.a"))
        #expect(paths.contains("server.nested.inline.b"))
    }

    @Test func readsMultilineStringsAndArraysOfTables() throws {
        let table = try TOMLParser.parse("""
            text = \"\"\"
            one
            two\"\"\"
            folded = \"\"\"a \\
                b\"\"\"
            raw = '''
            x\\y'''
            [[peer]]
            name = "a"
            [[peer]]
            name = "b"
            """)
        #expect(table["text"] == .string("one\ntwo"))
        #expect(table["folded"] == .string("a b"))
        #expect(table["raw"] == .string("x\\y"))
        guard case .array(let peers)? = table["peer"] else { Issue.record("no peers"); return }
        #expect(peers.count == 2)
        if case .table(let second) = peers[1] { #expect(second["name"] == .string("b")) } else { Issue.record("peer 2 not a table") }
    }

    @Test func keepsLineNumbersOfKeys() throws {
        let table = try TOMLParser.parse("\n\n[pua]\nhash_size = 9\n")
        let leaf = try #require(table.flattened().first)
        #expect(leaf.path == "pua.hash_size")
        #expect(leaf.line == 4)
    }

    @Test(arguments: [
        ("a = 1\na = 2", TOMLSyntaxError.Code.duplicateKey, 2),
        ("[t]\n[t]", .duplicateKey, 2),
        ("a = \"open", .invalidString, 1),
        ("a = \"bad \\q escape\"", .invalidString, 1),
        ("a = 01", .invalidNumber, 1),
        ("a = 99999999999999999999", .invalidNumber, 1),
        ("a = 1__0", .invalidNumber, 1),
        ("a = 1979-05-27", .unsupported, 1),
        ("a = 1 b = 2", .unexpectedCharacter, 1),
        ("a = [1, 2", .unexpectedEnd, 1),
        ("a = bare", .unexpectedCharacter, 1),
        ("a = 1\na.b = 2", .keyConflict, 2),
        ("t = { x = 1 }\n[t]\ny = 2", .keyConflict, 2),
        ("= 1", .unexpectedCharacter, 1),
        ("a = 1\r b = 2", .unexpectedCharacter, 1),
    ])
    func rejectsMalformedDocuments(text: String, code: TOMLSyntaxError.Code, line: Int) {
        #expect {
            try TOMLParser.parse(text)
        } throws: { error in
            guard let error = error as? TOMLSyntaxError else { return false }
            return error.code == code && error.line == line
        }
    }

    @Test func boundsNesting() {
        let deep = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: TOMLSyntaxError.self) { try TOMLParser.parse(deep) }
    }
}
