import CairnManifest
import CairnModel
import Testing

@Suite("Schema-directed typing and validation of artifacts")
struct SchemaTypingTests {
    static let prompt = """
    apiVersion: cairn/v1
    kind: PromptTemplate
    metadata:
      name: triage
      version: 1.2.0
      owner: team
    compliance:
      riskClass: minimal
      pii: {contains: VALUE}
    spec:
      type: text
      template: "Hello {{who}}"
      variables:
        - {name: who, required: true}
    """

    func load(_ text: String) throws -> ParsedManifest {
        try ParsedManifest.load(Array(text.utf8), isConfig: false)
    }

    @Test("version: 1.10 is the string \"1.10\", not the number 1.1")
    func versionStaysString() throws {
        let parsed = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "false").replacingOccurrences(of: "1.2.0", with: "1.10"))
        #expect(parsed.value["metadata"]?["version"] == .string("1.10"))
        #expect(parsed.findings.count == 1)
        #expect(parsed.findings.first?.message.contains("\"1.10\"") == true)
        #expect(parsed.findings.first?.message.contains("Semantic Versioning") == true)
        let clean = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "false"))
        #expect(clean.findings.isEmpty)
    }

    @Test("yes is not a boolean: it is an error where a boolean belongs")
    func yesIsNotBoolean() throws {
        let parsed = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "yes"))
        #expect(parsed.findings.count == 1)
        #expect(parsed.findings.first?.rule == "schema")
        #expect(parsed.findings.first?.line == 9)
        #expect(parsed.findings.first?.message.contains("expected boolean") == true)
    }

    @Test("an unknown field is reported at its key")
    func unknownField() throws {
        let parsed = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "false") + "\n  temperature: 0.3\n")
        let finding = try #require(parsed.findings.first)
        #expect(finding.message.contains("unknown field 'temperature'"))
        #expect((finding.line, finding.column) == (15, 3))
    }

    @Test("a missing required field names the field and the place")
    func missingField() throws {
        let parsed = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "false").replacingOccurrences(of: "  owner: team\n", with: ""))
        #expect(parsed.findings.map(\.message) == ["metadata: missing required field 'owner'"])
        #expect(parsed.findings.first?.line == 4)
    }

    @Test("the digest ignores formatting")
    func digestIgnoresFormatting() throws {
        let a = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "false"))
        let b = try load("# comment\n" + Self.prompt.replacingOccurrences(of: "VALUE", with: "false")
            .replacingOccurrences(of: "pii: {contains: false}", with: "pii:\n    contains: false"))
        #expect(ContentDigest.of(a.value) == ContentDigest.of(b.value))
        let c = try load(Self.prompt.replacingOccurrences(of: "VALUE", with: "true"))
        #expect(ContentDigest.of(a.value) != ContentDigest.of(c.value))
    }

    @Test("an unknown kind is reported at the kind")
    func unknownKind() throws {
        let parsed = try load("apiVersion: cairn/v1\nkind: Model\n")
        #expect(parsed.kind == nil)
        #expect(parsed.findings.first?.line == 2)
    }

    @Test("NaN, infinity and numbers beyond a double are not numbers: a bound or a type refuses them at their line",
          arguments: [".nan", ".NaN", ".inf", "-.Inf", "+.INF", "1e400", "-1e400", "1" + String(repeating: "0", count: 400)])
    func nonFiniteNumbers(text: String) throws {
        let yaml = Self.prompt.replacingOccurrences(of: "VALUE", with: "false") + "\n  modelConfig: {provider: openai, model: gpt, temperature: \(text)}\n"
        let parsed = try load(yaml)
        #expect(parsed.value["spec"]?["modelConfig"]?["temperature"] == .string(text))
        let finding = try #require(parsed.findings.first)
        #expect(finding.line == 15)
        #expect(finding.message.contains("temperature"))
        #expect(finding.message.contains("expected number"))
    }

    @Test("hexadecimal and octal integers take digits only; a sign after 0x or 0o is not a number",
          arguments: [("0x1F", JSONValue.int(31)), ("0o17", .int(15)), ("0x-1", .string("0x-1")), ("0x+1F", .string("0x+1F")),
                      ("0o-7", .string("0o-7")), ("0o8", .string("0o8")), ("0xg", .string("0xg"))])
    func radixIntegers(text: String, expected: JSONValue) throws {
        let node = try HardenedYAMLLoader().load(Array("value: \(text)\n".utf8))
        #expect(ManifestSchemas.bundled.set.typed(node, schema: nil)["value"] == expected)
    }

    @Test("a file with a violation on every entry reports the first 100 and counts the rest")
    func findingsAreCapped() throws {
        let labels = (0..<5_000).map { "    l\($0): [1]" }.joined(separator: "\n")
        let yaml = Self.prompt.replacingOccurrences(of: "VALUE", with: "false")
            .replacingOccurrences(of: "  owner: team\n", with: "  owner: team\n  labels:\n\(labels)\n")
        let parsed = try load(yaml)
        #expect(parsed.findings.count == ParsedManifest.maxSchemaFindings + 1)
        #expect(parsed.findings.last?.message == "4900 more schema findings in this file are not shown")
        // In key order, whatever order the dictionary holds them in: l0, l1, l10, l100, ...
        #expect(parsed.findings.prefix(4).map { $0.message.split(separator: ":").first.map(String.init) ?? "" }
                == ["metadata.labels.l0", "metadata.labels.l1", "metadata.labels.l10", "metadata.labels.l100"])
    }
}
