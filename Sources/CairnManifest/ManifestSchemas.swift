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

    /// The schemas carried in the binary (`EmbeddedSchemas`, generated from `schemas/`); broken ones are a build
    /// error, so this traps with the reason.
    public static let bundled: ManifestSchemas = {
        do {
            return try ManifestSchemas(files: sources.mapValues { Array($0.utf8) })
        } catch {
            fatalError("cairn's embedded schemas do not compile: \(error)")
        }
    }()

    /// The schemas in `directory` (a copy of `schemas/`, say).
    public init(directory: URL) throws {
        var files: [String: [UInt8]] = [:]
        for file in Self.files { files[file] = [UInt8](try Data(contentsOf: directory.appendingPathComponent(file))) }
        try self.init(files: files)
        try set.checkPatterns()
    }

    /// The text of each schema the binary carries, by file name (for `cairn schemas export` and `cairn init`).
    public static let sources: [String: String] = EmbeddedSchemas.texts

    /// Writes the schemas the binary carries into `directory` (created if missing); returns the paths written.
    public static func export(to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try sources.sorted { $0.key < $1.key }.map { name, text in
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url, options: .atomic)
            return url.path
        }
    }

    /// The schemas by file name; every name in `files` must be there.
    public init(files: [String: [UInt8]]) throws {
        var set = JSONSchemaSet()
        var hasher = SHA256()
        for file in Self.files {
            guard let bytes = files[file] else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: file]) }
            hasher.update(data: bytes)
            // JSON is YAML: libyaml reads these files several times faster than JSONDecoder.
            let node = try HardenedYAMLLoader().load(bytes)
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
