import CairnModel
import Foundation
import Git2

/// A compact binary encoding for cairn's caches under `.git/cairn/`: little-endian 64-bit integers,
/// length-prefixed UTF-8 strings, raw 20-byte object ids. Loading 10,000 entries has to take milliseconds.
public struct CacheWriter {
    public internal(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func int(_ value: Int) {
        var value = UInt64(bitPattern: Int64(value))
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    public mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        int(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    public mutating func artifactID(_ id: ArtifactID) {
        bytes.append(UInt8(id.kind.rank))
        string(id.name)
    }

    public mutating func semver(_ version: SemVer) {
        int(version.major)
        int(version.minor)
        int(version.patch)
        string(version.prerelease.joined(separator: "."))
        string(version.build.joined(separator: "."))
    }

    public mutating func requirement(_ requirement: VersionRequirement) {
        switch requirement {
        case .exact(let version): bytes.append(0); semver(version)
        case .caret(let version): bytes.append(1); semver(version)
        case .tilde(let version): bytes.append(2); semver(version)
        case .any: bytes.append(3)
        }
    }

    /// A reference as written in a file: the field, its text, and what it parses to.
    public mutating func reference(field: String, text: String, _ reference: ArtifactReference) {
        string(field)
        string(text)
        artifactID(reference.id)
        requirement(reference.requirement)
    }

    public mutating func objectID(_ id: ObjectID) {
        bytes.append(contentsOf: id.bytes)
    }

    public mutating func raw(_ data: [UInt8]) {
        bytes.append(contentsOf: data)
    }
}

/// Reads what `CacheWriter` wrote; any inconsistency throws `Corrupt`.
public struct CacheReader {
    public struct Corrupt: Error {}
    public let bytes: [UInt8]
    public internal(set) var offset = 0
    /// Where the payload `records` is reading ends.
    public internal(set) var recordEnd = 0

    public init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public mutating func int() throws -> Int {
        guard fits(8) else { throw Corrupt() }
        let value = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        offset += 8
        return Int(Int64(bitPattern: value))
    }

    public mutating func string() throws -> String {
        let count = try int()
        guard fits(count) else { throw Corrupt() }
        defer { offset += count }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Corrupt() }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func artifactID() throws -> ArtifactID {
        guard let kind = ArtifactKind(rank: Int(try byte())) else { throw Corrupt() }
        return ArtifactID(kind: kind, name: try string())
    }

    public mutating func semver() throws -> SemVer {
        let major = try int(), minor = try int(), patch = try int()
        let prerelease = try string(), build = try string()
        return SemVer(major: major, minor: minor, patch: patch,
                      prerelease: prerelease.isEmpty ? [] : prerelease.split(separator: ".").map(String.init),
                      build: build.isEmpty ? [] : build.split(separator: ".").map(String.init))
    }

    public mutating func requirement() throws -> VersionRequirement {
        switch try byte() {
        case 0: return .exact(try semver())
        case 1: return .caret(try semver())
        case 2: return .tilde(try semver())
        case 3: return .any
        default: throw Corrupt()
        }
    }

    public mutating func reference() throws -> (field: String, text: String, reference: ArtifactReference) {
        (try string(), try string(), ArtifactReference(id: try artifactID(), requirement: try requirement()))
    }

    public mutating func objectID() throws -> ObjectID {
        guard fits(20), let id = ObjectID(bytes: bytes[offset..<offset + 20]) else { throw Corrupt() }
        offset += 20
        return id
    }

    public mutating func count() throws -> Int {
        let count = try int()
        guard count >= 0, count < 10_000_000 else { throw Corrupt() }
        return count
    }

    public mutating func raw(_ count: Int) throws -> [UInt8] {
        guard fits(count) else { throw Corrupt() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    /// Whether `count` more bytes are there, without computing `offset + count` (a length read from a damaged file
    /// can be near `Int.max`, and the sum would overflow).
    func fits(_ count: Int) -> Bool {
        count >= 0 && count <= bytes.count - offset
    }

    /// Leaves the rest of the payload `records` is reading unread (to be decoded later from its offset).
    public mutating func skipRecord() { offset = recordEnd }

    public mutating func skip(_ count: Int) throws {
        guard fits(count) else { throw Corrupt() }
        offset += count
    }

    public mutating func skipString() throws { try skip(try count()) }
}

extension CacheWriter {
    /// A record: kind byte, payload length, payload. The length lets a reader stop cleanly at a torn tail.
    public mutating func record(_ kind: UInt8, _ body: (inout CacheWriter) -> Void) {
        var payload = CacheWriter()
        body(&payload)
        bytes.append(kind)
        int(payload.bytes.count)
        bytes.append(contentsOf: payload.bytes)
    }
}

extension CacheReader {
    /// Reads `record`s to the end: `body` reads one payload of the given kind (false for a kind it does not know).
    /// A torn or corrupt tail, an unknown kind, or a payload not read exactly ends the read with `complete` false;
    /// what came before is kept.
    public mutating func records(_ body: (UInt8, inout CacheReader) throws -> Bool) -> (count: Int, complete: Bool) {
        var count = 0
        while offset < bytes.count {
            let kind = bytes[offset]
            offset += 1
            guard let length = try? self.count(), fits(length) else { return (count, false) }
            let end = offset + length
            recordEnd = end
            guard (try? body(kind, &self)) == true, offset == end else { return (count, false) }
            count += 1
        }
        return (count, true)
    }
}

/// A cache file under `.git/cairn/`: read whole, appended to, or replaced atomically. Failures are ignored: a cache
/// that cannot be written only costs the next run time.
public enum CacheFile {
    public static func read(_ url: URL) -> [UInt8]? { FileBytes.read(url.path) }

    /// Appends to an existing file in one write under an exclusive lock; false when there is none to append to, or
    /// when it is not `expectedLength` long or does not start with `expectedStart` (another run wrote to it or
    /// replaced it since it was read).
    public static func append(_ bytes: [UInt8], to url: URL, expectedLength: Int? = nil, expectedStart: [UInt8] = []) -> Bool {
        let descriptor = open(url.path, O_RDWR | O_APPEND)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { return false }
        defer { flock(descriptor, LOCK_UN) }
        if let expectedLength {
            var info = stat()
            guard fstat(descriptor, &info) == 0, Int(info.st_size) == expectedLength else { return false }
        }
        if !expectedStart.isEmpty {
            var start = [UInt8](repeating: 0, count: expectedStart.count)
            let count = start.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            guard count == expectedStart.count, start == expectedStart else { return false }
        }
        return bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Replaces the file atomically; false when it could not be written.
    @discardableResult
    public static func replace(_ url: URL, with bytes: [UInt8]) -> Bool {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return (try? Data(bytes).write(to: url, options: .atomic)) != nil
    }
}
