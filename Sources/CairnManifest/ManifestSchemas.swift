import CairnModel
import Crypto
import Foundation

/// cairn's own schemas (`schemas/`), compiled once per process.
public struct ManifestSchemas: Sendable {
    public let set: JSONSchemaSet
    /// SHA-256 over every schema file, so caches of validation results die when a schema changes.
    public let fingerprint: String

    public static let configFile = "cairn.schema.json"
    public static let files = ["common.schema.json", "cairn.schema.json"] + ArtifactKind.allCases.map(\.schemaFile)

    /// The bundled schemas; a broken bundle is a build error, so this traps with the reason.
    public static let bundled: ManifestSchemas = {
        do {
            return try ManifestSchemas(directory: Bundle.module.url(forResource: "schemas", withExtension: nil)!)
        } catch {
            fatalError("cairn's bundled schemas do not compile: \(error)")
        }
    }()

    public init(directory: URL) throws {
        var set = JSONSchemaSet()
        var hasher = SHA256()
        for file in Self.files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            hasher.update(data: data)
            // JSON is YAML: libyaml reads these files several times faster than JSONDecoder.
            let node = try HardenedYAMLLoader().load([UInt8](data))
            try set.add(JSONSchemaSet().typed(node, schema: nil), name: file, baseURI: "https://cairn.dev/schemas/v1/")
        }
        try set.link()
        self.set = set
        fingerprint = hasher.finalize().hexString
    }

    /// The compiled root of the schema for `kind`.
    public func root(for kind: ArtifactKind) -> Int { self.set.root(named: kind.schemaFile)! }

    public var configRoot: Int { self.set.root(named: Self.configFile)! }
}

/// SHA-256 of the canonical JSON form: the content digest of an artifact version.
public enum ContentDigest {
    public static func of(_ value: JSONValue) -> String {
        sha256(Array(value.canonicalJSON.utf8))
    }

    public static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }
}
