import CairnManifest
import CairnModel
import Foundation
import Git2

/// Results of earlier runs in `.git/cairn/validation` (nil `gitDirectory`: in memory for this run): each file's result
/// by blob id (made with the schemas the file's fingerprint names; other schemas make it empty) and each tree's direct
/// entries by tree id.
struct ValidationCache: Sendable {
    let files: CacheStore<ObjectID, FileResult>
    let trees: CacheStore<ObjectID, TreeListing>
    var log: CacheLog { files.log }

    init(gitDirectory: String? = nil, fingerprint: String) {
        let log = CacheLog(url: gitDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("cairn/validation") }, format: "cairn-validation-11",
                           fingerprint: fingerprint)
        (files, trees) = (CacheStore(log: log, namespace: "F"), CacheStore(log: log, namespace: "T"))
    }
}

// MARK: - Codecs

extension Diagnostic: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(path, line, column, severity == .error, message, rule) }

    init(from reader: inout CacheReader) throws {
        self.init(path: try reader.get(), line: try reader.get(), column: try reader.get(), severity: try reader.get() ? .error : .warning,
                  message: try reader.get(), rule: try reader.get())
    }
}

extension ParsedManifest.Finding: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(line, column, message, rule) }
    init(from reader: inout CacheReader) throws { self.init(line: try reader.get(), column: try reader.get(), message: try reader.get(), rule: try reader.get()) }
}

extension FileResult: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(findings, artifact) }
    init(from reader: inout CacheReader) throws { self.init(findings: try reader.get(), artifact: try reader.get()) }
}

extension ArtifactSummary: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(id, version, digest, mark, references, environments) }

    init(from reader: inout CacheReader) throws {
        self.init(id: try reader.get(), version: try reader.get(), digest: try reader.get(), mark: try reader.get(), references: try reader.get(),
                  environments: try reader.get())
    }
}

extension ReferenceSite: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(field, text, reference, mark, allowedKinds.map(\.shortName).joined(separator: ",")) }

    init(from reader: inout CacheReader) throws {
        self.init(field: try reader.get(), text: try reader.get(), reference: try reader.get(), mark: try reader.get(),
                  allowedKinds: try reader.get(String.self).split(separator: ",").compactMap { ArtifactKind(shortName: String($0)) })
    }
}

extension NamedSite: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(name, mark) }
    init(from reader: inout CacheReader) throws { self.init(name: try reader.get(), mark: try reader.get()) }
}

extension TreeListing: CacheCodable {
    func encode(to out: inout CacheWriter) {
        out.put(files.count)
        for file in files { out.put(file.path, file.blob) }
        out.put(hazards.count)
        for hazard in hazards { out.put(hazard.path, hazard.message) }
        out.put(subtrees.count)
        for subtree in subtrees { out.put(subtree.name, subtree.id) }
    }

    init(from reader: inout CacheReader) throws {
        self.init()
        files = try (0..<reader.count()).map { _ in File(path: try reader.get(), blob: try reader.get()) }
        hazards = try (0..<reader.count()).map { _ in Hazard(path: try reader.get(), message: try reader.get()) }
        subtrees = try (0..<reader.count()).map { _ in Subtree(name: try reader.get(), id: try reader.get()) }
    }
}
