import CairnModel
import CairnTrust
import Foundation
import Git2
import Synchronization

extension RegistryReader {
    /// The largest allowed-signers file read: thousands of keys fit; a larger one is refused before it is read.
    static let largestSignersFile = 1 << 20

    /// The allowed signers `config` names, read from git at `commit` (the policy commit), never from a working tree:
    /// nil when cairn.yaml names none. A missing, oversized or malformed file is an error naming its line and column.
    public func signers(at commit: ObjectID, config: RegistryConfig) throws -> AllowedSigners? {
        guard let path = config.signers else { return nil }
        let bytes = try signersBytes(path, source: .commit(commit))
        return try Self.parseSigners(bytes, path: location.repositoryPath(path))
    }

    /// What validate says of the signers file `config` names (nothing when it names none or the file is sound).
    func signersDiagnostics(_ config: RegistryConfig?, source: RegistrySource) -> [Diagnostic] {
        guard let path = config?.signers else { return [] }
        let shown = location.repositoryPath(path)
        do {
            _ = try Self.parseSigners(try signersBytes(path, source: source), path: shown)
            return []
        } catch let CairnError.unreadableFile(path, line, column, message) {
            return [Diagnostic(path: path, line: line, column: column, message: message, rule: "signers")]
        } catch {
            return [Diagnostic(path: location.repositoryPath(Self.configFileName), line: 1, column: 1, message: "signers: \(error)", rule: "signers")]
        }
    }

    private func signersBytes(_ path: String, source: RegistrySource) throws -> [UInt8] {
        guard RegistryConfig.isInsideRegistry(path) else {
            throw CairnError.unreadableFile(path: location.repositoryPath(Self.configFileName), line: 1, column: 1,
                                            message: "signers must be a path inside the registry folder")
        }
        let shown = location.repositoryPath(path)
        // Its size first, then its bytes: a file larger than the bound is refused before it is read.
        let size: Int?, read: () throws -> [UInt8]
        switch source {
        case .commit(let commit):
            let blob = try location.repository.blobID(commit: commit, path: shown)
            size = try blob.map { try location.repository.blobSize($0) }
            read = { try self.location.repository.blob(blob!) }
        case .worktree:
            guard let workdir = location.repository.workingDirectory else { throw CairnError.bareRepository(option: "--worktree") }
            let url = URL(fileURLWithPath: workdir).appendingPathComponent(shown)
            size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue
            read = { [UInt8](try Data(contentsOf: url)) }
        }
        guard let size else {
            let place = if case .commit(let commit) = source { "in the tree at \(commit.short)" } else { "in the working tree" }
            throw CairnError.unreadableFile(path: shown, line: 1, column: 1, message: "the signers file cairn.yaml names is not \(place)")
        }
        guard size <= Self.largestSignersFile else {
            throw CairnError.unreadableFile(path: shown, line: 1, column: 1, message: "the signers file is larger than \(Self.largestSignersFile) bytes")
        }
        return try read()
    }

    static func parseSigners(_ bytes: [UInt8], path: String) throws -> AllowedSigners {
        do {
            return try AllowedSigners(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw CairnError.unreadableFile(path: path, line: error.line, column: error.column, message: error.message)
        }
    }
}

extension RegistryReader {
    /// Each of `tags`' signature verdict against the allowed signers cairn.yaml names at `commit`, judged now (no
    /// store is read: a listing such as `history` has no first sighting to go by, and now never accepts a key that has
    /// expired); nil when the registry names no signers file (a GTO repository, say).
    public func signatureVerdicts(of tags: [(name: String, object: ObjectID)], at commit: ObjectID, now: Int64) throws -> [String: TagTrust]? {
        guard let config = try self.config(at: commit).config, let signers = try self.signers(at: commit, config: config) else { return nil }
        return verdicts(of: tags, signers: signers, firstSeen: [:], otherwise: now)
    }

    /// Each of `tags`' verdict, by name: its object read from git by id and judged against `signers` at the time
    /// `firstSeen` gives its object (by hex id), else `otherwise`. Without signers nothing verifies, and a tag that
    /// carries no signature is still said to be unsigned. The objects are read in turn; the signatures (most of the
    /// time) are verified on every core.
    public func verdicts(of tags: [(name: String, object: ObjectID)], signers: AllowedSigners?, firstSeen: [String: Int64], otherwise now: Int64)
        -> [String: TagTrust] {
        let repository = location.repository
        // Each tag object's bytes, or (a verdict already) why it cannot be read.
        let objects: [(bytes: [UInt8]?, problem: TagTrust.Problem?)] = tags.map { tag in
            do {
                guard let bytes = try repository.rawTag(tag.object) else { return (nil, .unreadable("\(tag.object.short) is not a tag object")) }
                return (bytes, nil)
            } catch {
                return (nil, .unreadable("\(error)"))
            }
        }
        let results = Mutex([TagTrust?](repeating: nil, count: tags.count))
        let chunks = max(1, min(tags.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        DispatchQueue.concurrentPerform(iterations: tags.isEmpty ? 0 : chunks) { chunk in
            let range = (tags.count * chunk / chunks)..<(tags.count * (chunk + 1) / chunks)
            let judged: [TagTrust] = range.map { index in
                guard let bytes = objects[index].bytes else { return .refused(objects[index].problem!) }
                guard let signers else { return .refused(SignedTag(object: bytes).signature == nil ? .unsigned : .noAllowedSigners) }
                return TagTrust.judge(tag: bytes, signers: signers, at: firstSeen[tags[index].object.hex] ?? now)
            }
            results.withLock { $0.replaceSubrange(range, with: judged.map(Optional.some)) }
        }
        var verdicts: [String: TagTrust] = [:]
        for (tag, verdict) in zip(tags, results.withLock { $0 }) { verdicts[tag.name] = verdict }
        return verdicts
    }
}
