import CairnModel
import Testing

@Suite("Model values")
struct ModelTests {
    @Test("replacingEvery replaces an ASCII character at the byte level, leaving other text intact")
    func replacingEvery() {
        #expect("a|b||c".replacingEvery("|", with: "\\|") == "a\\|b\\|\\|c")
        #expect("plain".replacingEvery("|", with: "x") == "plain")
        #expect("\"é\"→\"".replacingEvery("\"", with: "\"\"") == "\"\"é\"\"→\"\"")
        #expect("".replacingEvery(",", with: ";") == "")
    }

    @Test("kinds rank and name as declared: deployment order, short names both ways")
    func kinds() {
        for (index, kind) in ArtifactKind.allCases.enumerated() {
            #expect(kind.rank == index)
            #expect(ArtifactKind(rank: index) == kind)
            #expect(ArtifactKind(shortName: kind.shortName) == kind)
        }
        #expect(ArtifactKind(rank: 5) == nil && ArtifactKind(shortName: "Prompt") == nil)
        #expect(ArtifactKind.allCases.sorted() == ArtifactKind.allCases)
        #expect(ArtifactKind.datasetManifest < .deployment && !(ArtifactKind.chain < .adapter))
    }

    @Test("SemVer parses strictly and orders by precedence")
    func semver() {
        #expect(SemVer("1.10") == nil)
        #expect(SemVer("01.0.0") == nil)
        #expect(SemVer("v1.0.0") == nil)
        #expect(SemVer("1.0.0-alpha")! < SemVer("1.0.0")!)
        #expect(SemVer("1.0.0-alpha.1")! < SemVer("1.0.0-alpha.beta")!)
        #expect(SemVer("1.9.0")! < SemVer("1.10.0")!)
    }

    @Test("ranges accept what npm-style ^ and ~ accept")
    func requirements() {
        #expect(VersionRequirement("^1.3")!.accepts(SemVer("1.9.2")!))
        #expect(!VersionRequirement("^1.3")!.accepts(SemVer("2.0.0")!))
        #expect(!VersionRequirement("~1.3.0")!.accepts(SemVer("1.4.0")!))
        #expect(VersionRequirement("1.3.0")!.isExact)
    }

    @Test("GTO's names without a cairn kind read as tag-only artifacts, in tags and as arguments")
    func tagOnlyNames() throws {
        let churn = try #require(ArtifactID(gtoName: "churn"))
        #expect(churn.isTagOnly && churn.description == "churn" && churn.tagText == "churn")
        #expect(ArtifactID("churn") == nil)  // cairn's own parse (references, KIND/NAME arguments) stays strict
        #expect(ArtifactID(gtoName: "prompt/support-triage") == ArtifactID("prompt/support-triage"))
        #expect(ArtifactID(gtoName: "models/churn")?.isTagOnly == true)
        #expect(ArtifactID(gtoName: "prompt/Support_Triage")?.isTagOnly == true)  // not a cairn name: GTO's
        let folder = try #require(ArtifactID(gtoName: "nn:model"))
        #expect(folder.description == "nn:model" && folder.tagText == "nn=model")
        #expect(ArtifactID(gtoName: "nn=model", inTag: true) == folder)
        for bad in ["", "-churn", "churn-", "a:b:c", ":x", "x:", "chu rn", "churn@v1", "churn#dev", String(repeating: "a", count: 256)] {
            #expect(ArtifactID(gtoName: bad) == nil, "\(bad)")
        }
        #expect(TagName("nn=model@v1.0.0") == .register(folder, SemVer("1.0.0")!))
        #expect(TagName("models/churn#Prod_EU#3") == .assign(ArtifactID(gtoName: "models/churn")!, environment: "Prod_EU", counter: 3))
        #expect(TagName.assign(folder, environment: "dev", counter: 2).text == "nn=model#dev#2")
        #expect(TagName("churn@deprecated#4")?.text == "churn@deprecated#4")
        #expect(TagName("cairn-hold/dev/churn/x/v1.0.0/1") == nil)  // holds are for cairn's artifacts
        #expect(ArtifactVersion("churn@1.0.0") == nil && ArtifactVersion("churn@1.0.0", anyName: true)?.id == churn)
        #expect(ArtifactVersion("nn=model@1.0.0", anyName: true)?.id == folder && ArtifactVersion("nn:model@1.0.0", anyName: true)?.id == folder)
        #expect(ArtifactID("prompt/a")! < churn && !(churn < ArtifactID("deployment/z")!))
    }

    @Test("GTO tag grammar with cairn names")
    func tags() {
        #expect(TagName("prompt/support-triage@v1.3.0") == .register(ArtifactID("prompt/support-triage")!, SemVer("1.3.0")!))
        #expect(TagName("prompt/support-triage#production!#8") == .unassign(ArtifactID("prompt/support-triage")!, environment: "production", counter: 8))
        #expect(TagName("prompt/support-triage#production#7")?.text == "prompt/support-triage#production#7")
        #expect(TagName("v1.0.0") == nil)
        #expect(TagName("prompt/x#dev#999999999")?.counter == 999_999_999)
        #expect(TagName("prompt/x#dev#1000000000") == nil)
        #expect(TagName("prompt/x#dev#9223372036854775807") == nil)
        #expect(TagName("prompt/x#dev#99999999999999999999999") == nil)
        #expect(TagName("cairn-hold/dev/prompt/x/v1.0.0/9223372036854775807") == nil)
        #expect(TagName.problem("prompt/x#dev#9223372036854775807")?.contains("beyond the largest") == true)
        #expect(TagName.problem("cairn-hold/dev/prompt/x/v1.0.0/10000000000")?.contains("beyond the largest") == true)
        #expect(TagName.problem("prompt/x#dev#7") == nil)
        #expect(TagName.problem("v1.0.0") == nil)
        // GTO's optional counters: deregistrations and deprecations carry one, a "simple" assignment does not.
        #expect(TagName("prompt/support-triage@v1.3.0!#4") == .deregister(ArtifactID("prompt/support-triage")!, SemVer("1.3.0")!))
        #expect(TagName("prompt/support-triage@deprecated#9") == .deprecate(ArtifactID("prompt/support-triage")!, counter: 9))
        #expect(TagName("prompt/support-triage#dev") == .assign(ArtifactID("prompt/support-triage")!, environment: "dev", counter: 0))
        #expect(TagName("prompt/support-triage@created#1") == nil)
        #expect(TagName("prompt/support-triage#dev#x") == nil)
        #expect(TagName("prompt/support-triage#dev#") == nil)
        #expect(TagName("prompt/support-triage#dev#+5") == nil)
        #expect(TagName("prompt/support-triage@v1.3") == nil)
        let hold = TagName("cairn-hold/production/prompt/support-triage/v1.3.0/1")
        #expect(hold == .hold(ArtifactID("prompt/support-triage")!, SemVer("1.3.0")!, environment: "production", counter: 1))
        #expect(hold?.text == "cairn-hold/production/prompt/support-triage/v1.3.0/1")
        #expect(TagName("cairn-release/production/prompt/support-triage/v1.3.0/2")?.text == "cairn-release/production/prompt/support-triage/v1.3.0/2")
        #expect(TagName("cairn-hold/production/prompt/support-triage/v1.3.0") == nil)
        #expect(TagName("cairn-audit/3") == nil)
    }

    @Test("canonical JSON sorts keys and drops whitespace")
    func canonical() {
        let value = JSONValue.object(["b": .int(1), "a": .array([.string("x\n"), .number(2.0), .null])])
        #expect(value.canonicalJSON == #"{"a":["x\n",2,null],"b":1}"#)
    }

    @Test("keys sort by UTF-16 code units, supplementary characters before U+E000 and above, from the bytes where they agree")
    func utf16KeyOrder() {
        let alphabet: [Character] = ["a", "b", "Z", "é", "\u{7FF}", "\u{D7FF}", "\u{E000}", "\u{FFFD}", "\u{FF21}", "😀", "\u{10000}", "\u{10FFFF}"]
        var generator = SystemRandomNumberGenerator()
        let words = (0..<400).map { _ in String((0..<Int.random(in: 0...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
        for a in words {
            for b in words.prefix(60) {
                #expect(JSONValue.utf16Precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(a.debugDescription) vs \(b.debugDescription)")
            }
        }
        #expect(JSONValue.object(["\u{FF21}": .int(1), "😀": .int(2)]).canonicalJSON == #"{"😀":2,"Ａ":1}"#)
    }

    @Test("did you mean: typos, swapped letters and a name's start are matched; unrelated names are not")
    func suggestions() {
        let environments = ["dev", "staging", "production"]
        #expect(Suggestion.closest(to: "stagign", in: environments) == "staging")
        #expect(Suggestion.closest(to: "prodution", in: environments) == "production")
        #expect(Suggestion.closest(to: "prodd", in: environments) == "production")
        #expect(Suggestion.closest(to: "dve", in: environments) == "dev")
        #expect(Suggestion.closest(to: "qa", in: environments) == nil)
        #expect(Suggestion.closest(to: "stable", in: environments) == nil)
        #expect(Suggestion.closest(to: "", in: environments) == nil)
        #expect(Suggestion.closest(to: "dev", in: []) == nil)
    }
}
