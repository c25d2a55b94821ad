import CairnManifest
import CairnModel
import Crypto
import Foundation
import Git2

/// A declared state resolved before, as the walker reads it: by id (a cached one need not be decoded whole).
protocol DeclaredLookup {
    var problems: [PlanProblem] { get }
    func artifact(_ id: ArtifactID) -> DeclaredArtifact?
    func file(_ id: ArtifactID) -> DeclaredState.LocatedFile?
    /// The declared artifacts whose file references one of `ids`.
    func referencers(of ids: Set<ArtifactID>) -> Set<ArtifactID>
}

extension DeclaredState: DeclaredLookup {
    func artifact(_ id: ArtifactID) -> DeclaredArtifact? { artifacts[id] }
    func file(_ id: ArtifactID) -> LocatedFile? { files[id] }

    func referencers(of ids: Set<ArtifactID>) -> Set<ArtifactID> {
        Set(files.filter { file in file.value.references.contains { ids.contains($0.reference.id) } }.keys)
    }
}

/// What git declares for one environment: every assigned artifact at the version its tags name, read at its
/// registration commit, plus the transitive closure of what those artifacts reference. A value: how it was resolved
/// (and whether a cache helped) is `DeclaredResolution`'s business.
///
/// Content is loaded only for the artifacts a plan writes (`load`): planning compares digests.
public struct DeclaredState: Sendable {
    public var environment: String
    /// Versions, digests and provenance; `content` is empty until `load`.
    public var artifacts: [ArtifactID: DeclaredArtifact]
    /// Parsed documents of loaded artifacts, for policies (compliance, gates).
    public var documents: [ArtifactID: JSONValue] = [:]
    /// Tags or references that could not be honoured; a plan with problems does not apply.
    public var problems: [PlanProblem]
    /// Where each declared artifact's file is, and what it references.
    var files: [ArtifactID: LocatedFile] = [:]

    public init(environment: String, artifacts: [ArtifactID: DeclaredArtifact], problems: [PlanProblem]) {
        self.environment = environment
        self.artifacts = artifacts
        self.problems = problems
    }

    /// SHA-256 (hex) over what is declared: each artifact's id, version and content digest, in id order, then each
    /// problem. Equal digests mean git declares the same thing, whatever commit or tag it was read from.
    public var digest: String {
        var text = ""
        for id in artifacts.keys.sorted() {
            let artifact = artifacts[id]!
            text += "\(id)\t\(artifact.version.version)\t\(artifact.digest)\n"
        }
        for problem in problems.sorted() { text += "problem\t\(problem)\n" }
        return SHA256.hash(data: Array(text.utf8)).hexString
    }

    /// `self` with `removed` dropped and `overlay`'s artifacts put on top.
    func updated(removing removed: Set<ArtifactID>, overlay: DeclaredState) -> DeclaredState {
        if removed.isEmpty && overlay.artifacts.isEmpty { return self }
        var state = self
        for id in removed {
            state.artifacts[id] = nil
            state.files[id] = nil
        }
        state.artifacts.merge(overlay.artifacts) { _, new in new }
        state.files.merge(overlay.files) { _, new in new }
        return state
    }

    /// A version's file at its registration commit: where it is, its digest, what it references. Immutable for a
    /// (version, registration commit) pair, so a later resolution reuses it without reading git.
    struct LocatedFile: Sendable {
        var blob: ObjectID
        var path: String
        var digest: String
        var references: [(field: String, text: String, reference: ArtifactReference)]
    }

    /// Why a version is in the closure: its own assignment tag, or a dependent. An artifact several dependents
    /// require records the least of them, so the record does not depend on the order of the walk.
    public enum Source: Sendable {
        case tag(String)
        case requiredBy(ArtifactVersion)

        static let prefix = "required by "

        var text: String {
            switch self {
            case .tag(let name): name
            case .requiredBy(let version): Self.prefix + version.description
            }
        }

        /// The dependent a recorded tag text names, nil for an assignment tag.
        public static func requirer(_ text: String) -> ArtifactVersion? {
            text.hasPrefix(prefix) ? ArtifactVersion(String(text.dropFirst(prefix.count))) : nil
        }
    }

    /// The per-artifact facts the walk needs, from the tag events of some artifacts: what is registered, what the
    /// environment is assigned, what is on hold there. Each artifact's facts depend on its own tags only.
    public struct Facts {
        let environment: String
        public let registrations: Registrations
        let assignments: [ArtifactID: EnvironmentAssignments.Assignment]
        public let holds: Holds
        let problems: [PlanProblem]

        public init(_ events: [TagEvent], environment: String) {
            self.environment = environment
            registrations = Registrations(events)
            let (assignments, problems) = EnvironmentAssignments.resolve(events, environment: environment, registrations: registrations)
            self.assignments = assignments
            self.problems = problems.map { PlanProblem(.assignment, subject: $0.tag, message: $0.description) }
            holds = Holds(events)
        }

        /// What `reference` resolves to in the environment, with its registration tag: the version assigned there
        /// directly when that one fits; otherwise the newest registered version that fits and is not on hold there.
        func pick(_ reference: ArtifactReference) -> (version: ArtifactVersion, registration: TagEvent)? {
            let assigned = assignments[reference.id].map(\.version).flatMap { reference.requirement.accepts($0.version) ? $0 : nil }
            let target = assigned ?? (registrations.liveVersions[reference.id] ?? []).filter {
                reference.requirement.accepts($0.version) && holds.hold(on: $0, in: environment) == nil
            }.max()
            guard let target, let registration = registrations.live[target] else { return nil }
            return (target, registration)
        }
    }

    /// Walks the closure from direct assignments, locating each version's file at its registration commit.
    struct Walker {
        let environment: String
        let reader: RegistryReader
        /// The environment as the `protected` policy judges each reference the walk reaches.
        let settings: RegistryConfig.Environment
        let commit: ObjectID
        /// A state resolved before: its located files are reused (they never change for a version and registration
        /// commit), and a new version is first looked for where the previous one was.
        private let known: (any DeclaredLookup)?
        private var located: [MemoKey: LocatedFile] = [:]
        private var planned: [ArtifactVersion: RegistrySnapshot.Artifact]?
        private var indexes: [ObjectID: [ArtifactVersion: RegistrySnapshot.Artifact]] = [:]
        private var trees: [ObjectID: ObjectID] = [:]

        private struct MemoKey: Hashable {
            let version: ArtifactVersion
            let commit: ObjectID
        }

        init(environment: String, reader: RegistryReader, isProtected: Bool, commit: ObjectID, known: (any DeclaredLookup)?) {
            self.environment = environment
            self.reader = reader
            var policy = RegistryConfig.Policy()
            policy.isProtected = isProtected
            settings = RegistryConfig.Environment(name: environment, policy: policy)
            self.commit = commit
            self.known = known
        }

        /// Every tag resolved.
        mutating func full(events: [TagEvent]) throws -> DeclaredState {
            let facts = Facts(events, environment: environment)
            var state = DeclaredState(environment: environment, artifacts: [:], problems: [])
            var problems = facts.problems
            _ = try walk(from: facts.assignments, facts: facts, covered: nil, into: &state, problems: &problems)
            state.problems = problems.sorted()
            return state
        }

        /// What `previous` becomes with the artifacts in `changed` resolved again (their entries dropped, the
        /// overlay's put on top), or nil when that might differ from resolving
        /// every tag. It holds when the previous state had no problems and neither has the new one; no artifact
        /// outside `changed` references one inside (its pick could change); and no artifact outside `changed` was
        /// recorded as required by a changed artifact's previous version (it might have to go, or name another
        /// dependent). The changed artifacts' entries are dropped and the walk starts from their assignments on top
        /// of the rest of `previous`, with the facts of every artifact it reaches; a randomized test checks the
        /// result against resolving every tag.
        mutating func incremental(from previous: any DeclaredLookup, changed: Set<ArtifactID>,
                                  references: (Set<ArtifactID>) throws -> [ArtifactID: [(name: String, object: ObjectID)]]) throws
            -> (overlay: DeclaredState, touched: Set<ArtifactID>)? {
            guard previous.problems.isEmpty else { return nil }
            if changed.isEmpty { return (DeclaredState(environment: environment, artifacts: [:], problems: []), []) }
            for id in changed {
                guard let old = previous.artifact(id) else { continue }
                for site in previous.file(id)?.references ?? [] where !changed.contains(site.reference.id) {
                    if let target = previous.artifact(site.reference.id), Source.requirer(target.tag) == old.version { return nil }
                }
            }
            guard previous.referencers(of: changed).isSubset(of: changed) else { return nil }
            var covered = changed
            var events: [TagEvent] = []
            var read = Set<ArtifactID>()
            // Each pass may find artifacts whose facts it lacks; a closure is shallow, so a few passes suffice. A pass
            // reads the tags of the artifacts it adds, and writes only what it adds or re-records.
            for _ in 0..<16 {
                events += try TagEvent.read(try references(covered.subtracting(read)).values.flatMap { $0 }, from: reader.location.repository)
                events.sort { $0.name < $1.name }
                read = covered
                let facts = Facts(events, environment: environment)
                guard facts.problems.isEmpty else { return nil }
                var overlay = DeclaredState(environment: environment, artifacts: [:], problems: [])
                var problems: [PlanProblem] = []
                let missing = try walk(from: facts.assignments.filter { changed.contains($0.key) }, facts: facts, covered: covered,
                                       over: (previous, changed), into: &overlay, problems: &problems)
                if !missing.isEmpty {
                    covered.formUnion(missing)
                    continue
                }
                guard problems.isEmpty else { return nil }
                return (overlay, changed.union(overlay.artifacts.keys))
            }
            return nil
        }

        /// What assigning `assignment` would add to the environment: its version and, transitively, what it
        /// references, each picked as the whole walk picks it; with the problems that walk finds.
        mutating func closure(of assignment: EnvironmentAssignments.Assignment, facts: Facts) throws -> DeclaredState {
            var state = DeclaredState(environment: environment, artifacts: [:], problems: [])
            var problems: [PlanProblem] = []
            _ = try walk(from: [assignment.version.id: assignment], facts: facts, covered: nil, into: &state, problems: &problems)
            state.problems = problems
            return state
        }

        /// Walks from `assignments` (in id order, so that reports do not depend on dictionary order) into `state`.
        /// With `covered`, a reference to an artifact outside it is not followed; such artifacts are returned. With
        /// `base`, its entries (but the excluded ones) count as already walked; one re-recorded is written to `state`.
        private mutating func walk(from assignments: [ArtifactID: EnvironmentAssignments.Assignment], facts: Facts,
                                   covered: Set<ArtifactID>?, over base: (state: any DeclaredLookup, excluded: Set<ArtifactID>)? = nil,
                                   into state: inout DeclaredState, problems: inout [PlanProblem]) throws -> Set<ArtifactID> {
            func existing(_ id: ArtifactID) -> DeclaredArtifact? {
                if let entry = state.artifacts[id] { return entry }
                guard let base, !base.excluded.contains(id) else { return nil }
                return base.state.artifact(id)
            }
            var missing = Set<ArtifactID>()
            var requirers: [ArtifactID: ArtifactVersion] = [:]
            // Direct assignments first, so that a reference conflicting with one is the reference reported.
            let roots: [(ArtifactVersion, TagEvent, Source)] = assignments.sorted { $0.key < $1.key }.map {
                ($0.value.version, $0.value.registration, .tag($0.value.tag.name))
            }
            try DependencyWalk.walk(from: roots) { version, registration, source in
                if var existing = existing(version.id) {
                    if existing.version != version {
                        problems.append(PlanProblem(.conflict, subject: version.description,
                                                    message: "\(source.text) needs \(version), but \(existing.version) is declared (\(existing.tag))"))
                    } else if case .requiredBy(let requirer) = source,
                              let current = requirers[version.id] ?? Source.requirer(existing.tag), requirer < current {
                        requirers[version.id] = requirer
                        existing.tag = source.text
                        state.artifacts[version.id] = existing
                    }
                    return []
                }
                guard let found = try file(version, at: registration.commit) else {
                    problems.append(PlanProblem(.notAtRegistration, subject: registration.name,
                                                message: "\(registration.name) points at \(registration.commit.short), where \(version) is not in the registry"))
                    return []
                }
                state.artifacts[version.id] = DeclaredArtifact(version: version, digest: found.digest, content: "",
                                                               commit: registration.commit.hex, tag: source.text)
                state.files[version.id] = found
                if case .requiredBy(let requirer) = source { requirers[version.id] = requirer }
                var next: [(ArtifactVersion, TagEvent, Source)] = []
                for site in found.references {
                    let reference = site.reference
                    if let refusal = PolicyEngine.exactPins(reference, field: site.field, text: site.text, of: version, in: settings) {
                        problems.append(PlanProblem(.rangeInProtected, subject: version.description, message: "\(version) \(refusal.message)"))
                        continue
                    }
                    if let covered, !covered.contains(reference.id) {
                        missing.insert(reference.id)
                        continue
                    }
                    guard let (target, tag) = facts.pick(reference) else {
                        problems.append(PlanProblem(.unregisteredReference, subject: version.description,
                                                    message: "\(version) \(site.field): '\(site.text)' is not a registered version; register \(reference.id) first"))
                        continue
                    }
                    next.append((target, tag, .requiredBy(version)))
                }
                return next
            }
            return missing
        }

        /// A version's file: found in the planned tree and confirmed at the registration commit by path (cheap); only
        /// when that fails is the registration commit's whole tree indexed.
        private mutating func file(_ version: ArtifactVersion, at registration: ObjectID) throws -> LocatedFile? {
            if let artifact = known?.artifact(version.id), artifact.version == version, artifact.commit == registration.hex,
               let file = known?.file(version.id) {
                return file
            }
            if let file = located[MemoKey(version: version, commit: registration)] { return file }
            guard let found = try locate(version, at: registration) else { return nil }
            let file = LocatedFile(blob: found.blob, path: found.path, digest: found.summary.digest,
                                   references: found.summary.references.map { ($0.field, $0.text, $0.reference) })
            located[MemoKey(version: version, commit: registration)] = file
            return file
        }

        private mutating func locate(_ version: ArtifactVersion, at registration: ObjectID) throws -> RegistrySnapshot.Artifact? {
            let repository = reader.location.repository
            if let path = known?.file(version.id)?.path {
                // The previous version's path usually holds the new one.
                if let blob = try repository.blobID(commit: registration, path: path),
                   let summary = try reader.fileResult(blob: blob).artifact, summary.versioned == version {
                    return RegistrySnapshot.Artifact(path: path, blob: blob, summary: summary)
                }
            }
            if planned == nil { planned = try index(commit) }
            if let candidate = planned![version] {
                if trees[registration] == nil { trees[registration] = try repository.commit(registration).tree }
                if try repository.blobID(tree: trees[registration]!, path: candidate.path) == candidate.blob { return candidate }
            }
            if indexes[registration] == nil { indexes[registration] = try index(registration) }
            return indexes[registration]?[version]
        }

        private func index(_ commit: ObjectID) throws -> [ArtifactVersion: RegistrySnapshot.Artifact] {
            Dictionary(try reader.artifacts(at: commit).map { ($0.summary.versioned, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// What assigning a version by the tag `assignment` would deploy, read from git, for the policies to judge
    /// before the tag is written (promote) or taken (the pre-receive hook); apply judges the same candidates.
    /// Problems (a reference nothing registered fits, a range where exact pins are required, a file that does not
    /// validate) are the declared state's, which apply would refuse.
    public static func candidates(assigning assignment: EnvironmentAssignments.Assignment, facts: Facts, reader: RegistryReader,
                           isProtected: Bool) throws -> (candidates: [PolicyEngine.Candidate], documents: [ArtifactID: JSONValue], problems: [PlanProblem]) {
        var walker = Walker(environment: facts.environment, reader: reader, isProtected: isProtected, commit: assignment.registration.commit, known: nil)
        var closure = try walker.closure(of: assignment, facts: facts)
        let ids = closure.artifacts.keys.sorted { ($0 == assignment.version.id ? 0 : 1, $0) < ($1 == assignment.version.id ? 0 : 1, $1) }
        // What the closure needs of an artifact the environment assigns directly must be that version: the whole walk
        // starts from direct assignments, so it would report the closure's pick as a conflict.
        let conflicts = ids.compactMap { id -> PlanProblem? in
            guard id != assignment.version.id, let assigned = facts.assignments[id], let needed = closure.artifacts[id],
                  needed.version != assigned.version else { return nil }
            return PlanProblem(.conflict, subject: needed.version.description,
                               message: "\(needed.tag) needs \(needed.version), but \(assigned.version) is declared (\(assigned.tag.name)); "
                                   + "withdraw that assignment with 'cairn unassign \(id) --env \(facts.environment)' so that \(id) follows what pins it")
        }
        let mismatched = try closure.load(ids, reader: reader)
        let problems = closure.problems + conflicts + mismatched.sorted().map { id in
            let artifact = closure.artifacts[id]!
            return PlanProblem(.contentMismatch, subject: artifact.version.description,
                               message: "\(artifact.version) is not at its registration commit \(artifact.commit.prefix(7)) as resolved; run 'cairn validate --ref \(artifact.commit.prefix(7))'")
        }
        let candidates = ids.compactMap { id -> PolicyEngine.Candidate? in
            guard let artifact = closure.artifacts[id], let document = closure.documents[id] else { return nil }
            let direct = id == assignment.version.id
            return PolicyEngine.Candidate(version: artifact.version, document: document, assignment: direct ? assignment.tag.name : nil,
                                          skipReason: direct ? PolicyEngine.skipReason(inTagMessage: assignment.tag.message) : nil)
        }
        return (candidates, closure.documents, problems)
    }

    /// The tag references of each artifact (registrations, assignments, holds and releases), with a digest per
    /// artifact: an artifact whose digest is unchanged has the same tags, hence the same facts.
    struct TagGroups {
        private(set) var references: [ArtifactID: [(name: String, object: ObjectID)]] = [:]
        private(set) var digests: [ArtifactID: [UInt8]] = [:]

        init(_ all: [(name: String, object: ObjectID)]) {
            // Grouped by the text naming the artifact first; the text is parsed once per artifact.
            var byText: [Substring: [(name: String, object: ObjectID)]] = [:]
            for reference in all {
                guard let text = Self.artifactText(reference.name) else { continue }
                byText[text, default: []].append(reference)
            }
            for (text, group) in byText {
                guard let id = ArtifactID(String(text)) else { continue }
                references[id, default: []] += group
            }
            for (id, group) in references { digests[id] = Self.digest(group) }
        }

        /// An artifact's tag digest: of its references' names and objects, in name order.
        static func digest(_ group: [(name: String, object: ObjectID)]) -> [UInt8] {
            var hasher = SHA256()
            for reference in group.sorted(by: { $0.name < $1.name }) {
                hasher.update(data: Array(reference.name.utf8))
                hasher.update(data: [0])
                hasher.update(data: reference.object.bytes)
            }
            return Array(hasher.finalize().prefix(16))
        }

        /// The artifact a tag name is about, read cheaply: the text before `@` or `#` of `KIND/NAME@...` and
        /// `KIND/NAME#...`, the full parse for holds and releases. A name that is not a valid tag may land in a group
        /// (the group is then resolved again more often than needed); a valid one always lands in its own.
        static func artifactText(_ name: String) -> Substring? {
            let bytes = name.utf8
            if bytes.starts(with: "cairn-".utf8) { return TagName(name).map { Substring($0.artifact.description) } }
            guard let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "#") }) else { return nil }
            return Substring(bytes[..<end])
        }

        /// Artifacts whose tags differ from `previous` digests, including artifacts that gained or lost all tags.
        func changed(since previous: [ArtifactID: [UInt8]]) -> Set<ArtifactID> {
            var changed = Set(digests.filter { previous[$0.key] != $0.value }.keys)
            changed.formUnion(previous.keys.filter { digests[$0] == nil })
            return changed
        }
    }

    /// Takes the content of `ids` from `other`, a state loaded before in this process, where the artifact is the same
    /// version with the same digest from the same registration commit (its content was read from git and its digest
    /// checked then); `load` then parses only the rest.
    public mutating func reuse(_ other: DeclaredState, for ids: [ArtifactID]) {
        for id in ids where documents[id] == nil {
            guard let mine = artifacts[id], let theirs = other.artifacts[id], let document = other.documents[id], !theirs.content.isEmpty,
                  mine.version == theirs.version, mine.digest == theirs.digest, mine.commit == theirs.commit else { continue }
            artifacts[id]?.content = theirs.content
            documents[id] = document
        }
    }

    /// Parses the declared content of `ids` (the artifacts a plan writes), on every core, from git: each file's blob
    /// must be at its path in its registration commit, and its content must hash to the declared digest, so what an
    /// apply writes never rests on a cache. A file that does not validate is a problem; the artifacts whose file
    /// does not match what they were resolved with are returned (their resolution has to be done again).
    @discardableResult
    public mutating func load(_ ids: [ArtifactID], reader: RegistryReader) throws -> Set<ArtifactID> {
        var mismatched = Set<ArtifactID>()
        let repository = reader.location.repository
        var wanted: [ArtifactID] = []
        var trees: [String: ObjectID] = [:]
        for id in ids where documents[id] == nil {
            guard let artifact = artifacts[id], let file = files[id] else { continue }
            let tree: ObjectID?
            if let known = trees[artifact.commit] {
                tree = known
            } else {
                tree = ObjectID(hex: artifact.commit).flatMap { try? repository.commit($0).tree }
                trees[artifact.commit] = tree
            }
            guard let tree, try repository.blobID(tree: tree, path: file.path) == file.blob else {
                mismatched.insert(id)
                continue
            }
            wanted.append(id)
        }
        let inputs = try wanted.map { try repository.blob(files[$0]!.blob) }
        let schemas = reader.analyzer.schemas
        var parsed = [ParsedManifest?](repeating: nil, count: inputs.count)
        parsed.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: max(1, min(inputs.count, ProcessInfo.processInfo.activeProcessorCount * 4))) { chunk in
                let stride = max(1, min(inputs.count, ProcessInfo.processInfo.activeProcessorCount * 4))
                var index = chunk
                while index < inputs.count {
                    output[index] = try? ParsedManifest.load(inputs[index], isConfig: false, schemas: schemas)
                    index += stride
                }
            }
        }
        for (id, result) in zip(wanted, parsed) {
            var artifact = artifacts[id]!
            guard let result, result.findings.isEmpty else {
                problems.append(PlanProblem(.invalidFile, subject: artifact.version.description,
                                            message: "\(artifact.version) at \(artifact.commit.prefix(7)) (\(files[id]!.path)) does not validate; run 'cairn validate --ref \(artifact.commit.prefix(7))'"))
                continue
            }
            let content = result.value.canonicalJSON
            guard ContentDigest.sha256(Array(content.utf8)) == artifact.digest else {
                mismatched.insert(id)
                continue
            }
            artifact.content = content
            artifacts[id] = artifact
            documents[id] = result.value
        }
        return mismatched
    }
}

extension TagRefSnapshot {
    /// The tag references of `ids` (registrations, assignments, holds and releases), loose over packed, by artifact.
    /// `kept` gives the contents of the folders the snapshot did not read.
    func references(of ids: Set<ArtifactID>, commonDirectory: String, kept: (String) -> Contents?) -> [ArtifactID: [(name: String, object: ObjectID)]] {
        guard !ids.isEmpty else { return [:] }
        // `KIND/NAME@...` and `KIND/NAME#...` are in the folder KIND; holds and releases under cairn-hold/ and
        // cairn-release/, with `/KIND/NAME/` in their names. Names are picked by these texts first (a folder may hold
        // thousands), then checked by parsing.
        let starts = ids.flatMap { ["\($0)@", "\($0)#"] }, holds = ids.map { "/\($0)/" }
        var all = packed == nil ? [:] : TagRefSnapshot.packedReferences(commonDirectory: commonDirectory, containing: starts + holds)
        let kinds = Set(ids.map { String($0.description.prefix { $0 != "/" }) })
        for path in folders.keys {
            if kinds.contains(path) {
                for (name, object) in (read[path] ?? kept(path))?.references ?? [:] where starts.contains(where: { name.hasPrefix($0) }) { all[name] = object }
            } else if path.hasPrefix("cairn-") {
                for (name, object) in (read[path] ?? kept(path))?.references ?? [:] where holds.contains(where: { name.contains($0) }) { all[name] = object }
            }
        }
        var grouped: [ArtifactID: [(name: String, object: ObjectID)]] = [:]
        for (name, object) in all {
            guard let text = DeclaredState.TagGroups.artifactText(name), let id = ArtifactID(String(text)), ids.contains(id) else { continue }
            grouped[id, default: []].append((name, object))
        }
        return grouped
    }
}
