@testable import CairnReconciler
@testable import CairnRegistry
import CairnManifest
import CairnModel
import Foundation
import Git2

/// What `make fuzz` feeds with libFuzzer and the fuzz regression tests replay: each target takes arbitrary bytes
/// and must return (no crash, no hang) whatever they are. A target may check its own invariants with `precondition`;
/// a violation is a crash, and libFuzzer keeps the input.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// YAML loading, schema typing and validation of one artifact file.
    case yaml
    /// The tag grammar (GTO's tags, holds, anchors) and the tag-message format.
    case tags
    /// A saved plan file.
    case plan
    /// The validation, tag and declared-state cache files, behind their real headers.
    case cache

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .yaml: Self.yaml(bytes)
        case .tags: Self.tags(bytes)
        case .plan: _ = try? PlanFile.decode(Data(bytes))
        case .cache: Self.cache(bytes)
        }
    }

    static func yaml(_ bytes: [UInt8]) {
        guard let parsed = try? ParsedManifest.load(bytes, isConfig: bytes.first.map { $0 & 1 == 1 } ?? false) else { return }
        // Whatever loads is JSON that canonicalizes and parses back to an equal value.
        let canonical = parsed.value.canonicalJSON
        precondition((try? JSONValue.parse(json: Data(canonical.utf8)))?.jsonEquals(parsed.value) == true, "canonical JSON does not read back")
    }

    static func tags(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let tag = TagName(text) {
            precondition(TagName(tag.text) == tag, "a parsed tag does not round-trip through its text")
            precondition(tag.counter <= TagName.maxCounter, "a parsed counter is past the bound")
        }
        _ = TagName.problem(text)
        if let anchor = AnchorTag(text) {
            precondition(AnchorTag(anchor.name) == anchor, "an anchor name does not round-trip")
            _ = anchor.recordedHash(message: text)
        }
        let message = TagMessage(parsing: text)
        let again = TagMessage(parsing: message.text)
        precondition(again.fields.map(\.key) == message.fields.map(\.key), "a tag message does not round-trip")
    }

    /// The folder the cache target writes its files into (one per process).
    private static let scratch: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fuzz-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path + "/cairn", withIntermediateDirectories: true)
        return path
    }()

    static func cache(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        switch selector % 4 {
        case 0:
            // Records after a valid header, so that the fuzzer gets past it.
            let cache = ValidationCache(gitDirectory: scratch, fingerprint: "fuzz")
            write(cache.log.freshHeader + body, to: "validation")
            _ = cache.files[ObjectID.zero]
            _ = cache.trees[ObjectID.zero]
        case 1, 2:
            let tags = TagCache(gitDirectory: scratch)
            let log = selector % 4 == 1 ? tags.annotations.log : tags.registered.log
            write(log.freshHeader + body, to: log.url!.lastPathComponent)
            _ = tags.annotations[ObjectID.zero]
            let reading = tags.read(commonDirectory: scratch)
            _ = reading.references(commonDirectory: scratch)
            _ = reading.identity.map { tags.registered[$0] }
        default:
            let cache = DeclaredCache(gitDirectory: scratch, environment: "dev", isProtected: false, schemaFingerprint: "fuzz")
            try? Data(cache.log.freshHeader + body).write(to: cache.log.url!)
            _ = cache.load(environment: "dev").map { ($0.meta.snapshot, $0.recorded.referencers(of: [ArtifactID(kind: .promptTemplate, name: "a")]), $0.recorded.state.artifacts.count) }
            _ = cache.tagDigests()
        }
    }

    private static func write(_ bytes: [UInt8], to name: String) {
        try? Data(bytes).write(to: URL(fileURLWithPath: scratch + "/cairn/" + name))
    }
}
