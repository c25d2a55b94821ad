import CairnModel
import Crypto
import Foundation

/// cairn's own schemas (`schemas/`), compiled once per process, when first needed: a run that only needs their
/// fingerprint (a warm `validate` whose results are all cached) does not compile them.
public struct ManifestSchemas: Sendable {
    /// The compiled schemas.
    public var set: JSONSchemaSet {
        do {
            return try compiled.get()
        } catch {
            // `init(files:)` compiled them already; only the embedded ones are compiled here first, and a broken one
            // is a build error.
            fatalError("cairn's embedded schemas do not compile: \(error)")
        }
    }
    /// SHA-256 over every schema file, so caches of validation results die when a schema changes.
    public let fingerprint: String
    private let compiled: Compiled

    public static let configFile = "cairn.schema.json"
    public static let files = ["common.schema.json", "cairn.schema.json"] + ArtifactKind.allCases.map(\.schemaFile)

    /// The schemas carried in the binary (`EmbeddedSchemas`, generated from `schemas/`).
    public static let bundled: ManifestSchemas = {
        do {
            return try ManifestSchemas(uncompiled: sources.mapValues { Array($0.utf8) })
        } catch {
            fatalError("cairn's embedded schemas are incomplete: \(error)")
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

    /// The schemas by file name, compiled now; every name in `files` must be there.
    public init(files: [String: [UInt8]]) throws {
        try self.init(uncompiled: files)
        _ = try compiled.get()
    }

    private init(uncompiled files: [String: [UInt8]]) throws {
        var hasher = SHA256()
        for file in Self.files {
            guard let bytes = files[file] else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: file]) }
            hasher.update(data: bytes)
        }
        fingerprint = hasher.finalize().hexString
        compiled = Compiled {
            var set = JSONSchemaSet()
            for file in Self.files {
                // JSON is YAML: libyaml reads these files several times faster than JSONDecoder.
                let node = try HardenedYAMLLoader().load(files[file]!)
                try set.add(JSONSchemaSet().typed(node, schema: nil), name: file, baseURI: "https://cairn.dev/schemas/v1/")
            }
            try set.link()
            return set
        }
    }

    /// The set, compiled by the first caller (the others wait for it).
    private final class Compiled: @unchecked Sendable {
        private let lock = NSLock()
        private var compile: (() throws -> JSONSchemaSet)?
        private var result: Result<JSONSchemaSet, any Error>?

        init(_ compile: @escaping () throws -> JSONSchemaSet) { self.compile = compile }

        func get() throws -> JSONSchemaSet {
            try lock.withLock {
                if let result { return result }
                let made = Result { try compile!() }
                (result, compile) = (made, nil)
                return made
            }.get()
        }
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
