import CairnManifest
import CairnModel
import CairnRegistry
import CairnState
import CairnTrust
import Foundation
import Git2

/// A version's lifecycle: registers, promotes, rolls back, holds and releases (lifts a hold on) versions. "Release"
/// means only that last one in cairn: lifting a hold (`cairn release`, a `cairn-release/` tag). Each command checks
/// what it must, writes annotated tags (GTO's grammar, plus cairn's holds), pushes them when asked, and records what
/// it did in the audit trail.
///
/// Nothing is claimed that did not happen: when a push fails, the tags just written are deleted again and
/// nothing is audited; a policy or order refusal writes one `refuse` audit record and no tag.
public struct Lifecycle {
    public let reader: RegistryReader
    public let store: any StateStore
    public let config: RegistryConfig
    public let actor: String
    /// The remote to push new tags to, if any.
    public let remote: String?
    public let now: Int64
    /// Signs the tags written, as `git tag -s` does with SSH keys (`--sign`); nil: unsigned.
    public let signer: SSHKeygenSigner?
    /// The commit whose cairn.yaml applies: the allowed signers are read there.
    public let policyCommit: ObjectID?

    public init(reader: RegistryReader, store: any StateStore, config: RegistryConfig, actor: String, remote: String? = nil,
                now: Int64 = Int64(Date().timeIntervalSince1970), signer: SSHKeygenSigner? = nil, policyCommit: ObjectID? = nil) {
        self.reader = reader
        self.store = store
        self.config = config
        self.actor = actor
        self.remote = remote
        self.now = now
        self.signer = signer
        self.policyCommit = policyCommit
    }

    /// What a command did.
    public struct Outcome: Sendable, Equatable {
        /// Tags written (and pushed, when a remote was given).
        public var tags: [String] = []
        /// Why nothing needed doing, for each item that needed nothing.
        public var notes: [String] = []
    }

    var repository: Repository { reader.location.repository }

    // MARK: - Register

    /// Registers versions present at `commit`: `versions`, or every unregistered one when `versions` is empty.
    /// Each tag points at the commit that introduced that content. Versions already registered with the same
    /// content are skipped; one registered with other content refuses the whole command (registered versions are
    /// immutable) before any tag is written.
    /// A tag-only artifact's version (GTO's name, no cairn kind) is registered at `commit` itself, without reading the tree.
    public func register(_ versions: [ArtifactVersion], at commit: ObjectID) async throws -> Outcome {
        let registrations = Registrations(try reader.tagEvents())
        var outcome = Outcome()
        var tags: [PendingTag] = []
        // A tag-only artifact's version is the commit itself: nothing in the tree to find, check or digest.
        for version in versions where version.id.isTagOnly {
            if let existing = registrations.all[version] {
                guard existing.commit == commit else { throw CairnError.immutableVersion(version, tag: existing.name, commit: existing.commit.short) }
                outcome.notes.append("\(version) is already registered (\(existing.name))")
                continue
            }
            let tag = TagName.register(version.id, version.version).text
            tags.append(PendingTag(name: tag, target: commit, message: TagMessage(subject: "register \(version)", fields: [("actor", actor)]).text,
                                   audit: draft(.register, environment: "", version: version, digest: "", commit: commit, tag: tag,
                                                summary: "registered \(version) (tag-only)")))
        }
        let cairnVersions = versions.filter { !$0.id.isTagOnly }
        guard versions.isEmpty || !cairnVersions.isEmpty else {
            outcome.tags = try await write(tags)
            return outcome
        }
        let snapshot = try reader.read(.commit(commit))
        guard snapshot.errorCount == 0 else {
            throw CairnError.invalidRegistry(commit: commit.short, errors: snapshot.errorCount)
        }
        var wanted: [RegistrySnapshot.Artifact] = []
        for version in cairnVersions {
            guard let found = snapshot.artifacts.first(where: { $0.summary.versioned == version }) else {
                let here = snapshot.artifacts.filter { $0.summary.id == version.id }.map { $0.summary.version.description }
                throw CairnError.notInRegistry(version, commit: commit.short, versionsHere: here, checkedTags: false)
            }
            wanted.append(found)
        }
        if versions.isEmpty { wanted = snapshot.artifacts }

        for artifact in wanted {
            let version = artifact.summary.versioned
            if let existing = registrations.all[version] {
                let registered = try reader.file(of: version, at: existing.commit)
                guard registered?.summary.digest == artifact.summary.digest else {
                    throw CairnError.immutableVersion(version, tag: existing.name, commit: existing.commit.short)
                }
                if !versions.isEmpty { outcome.notes.append("\(version) is already registered (\(existing.name))") }
                continue
            }
            let introduced = try introducingCommit(of: artifact, from: commit)
            let tag = TagName.register(version.id, version.version).text
            tags.append(PendingTag(name: tag, target: introduced, message: TagMessage(subject: "register \(version)", fields: [("actor", actor)]).text,
                                   audit: draft(.register, environment: "", version: version, digest: artifact.summary.digest,
                                                commit: introduced, tag: tag, summary: "registered \(version)")))
        }
        outcome.tags = try await write(tags)
        return outcome
    }

    /// The oldest commit on the first-parent line to `commit` from which the artifact's version and content are
    /// unchanged (formatting-only edits do not count: contents compare by canonical digest).
    func introducingCommit(of artifact: RegistrySnapshot.Artifact, from commit: ObjectID) throws -> ObjectID {
        var current = commit
        var blob = artifact.blob
        while let parent = try repository.commit(current).parents.first {
            guard let before = try repository.blobID(commit: parent, path: artifact.path) else { break }
            if before != blob {
                guard let summary = try reader.fileResult(blob: before).artifact, summary.versioned == artifact.summary.versioned,
                      summary.digest == artifact.summary.digest else { break }
                blob = before
            }
            current = parent
        }
        return current
    }

    // MARK: - Promote

    /// Why a promotion or rollback was refused.
    public enum Refusal: Error, CustomStringConvertible, Sendable {
        /// The version is on hold in the environment (by the tag `hold`).
        case onHold(ArtifactVersion, environment: String, hold: String, reason: String?)
        /// An artifact the environment runs pins another version of it: the plan would have two. `instead`, when
        /// found: a registered version of what the environment assigns directly (the dependent, or what requires it)
        /// whose closure takes this version, so promoting it alone does the job.
        case pinnedByDependent(ArtifactVersion, environment: String, dependent: ArtifactVersion, field: String, text: String,
                               instead: ArtifactVersion? = nil)
        /// Assigning it would leave the environment's declared state with problems, which apply refuses.
        case wouldNotApply(ArtifactVersion, environment: String, problems: [PlanProblem])
        case policy(PolicyEngine.Refusal)

        public var description: String {
            switch self {
            case .onHold(let version, let environment, let hold, let reason):
                "\(version) is on hold in '\(environment)' (\(hold)\(reason.map { ": \($0)" } ?? "")); lift it with 'cairn release \(version) --env \(environment)'"
            case .wouldNotApply(let version, let environment, let problems):
                "assigning \(version) to '\(environment)' would not apply: " + problems.map(\.message).joined(separator: "; ")
            case .pinnedByDependent(let version, let environment, let dependent, let field, let text, let instead):
                "\(dependent) in '\(environment)' pins \(version.id) at \(field) ('\(text)'), which \(version.version) does not satisfy, "
                    + "so the plan would need both; "
                    + (instead.map { "promote \($0) instead ('cairn promote \($0) --to \(environment)'): it brings \(version) with it" }
                        ?? "promote a version of \(dependent.id) that accepts \(version.version) (and of what pins it, up to what '\(environment)' assigns directly) instead")
            case .policy(let refusal): refusal.description
            }
        }
    }

    /// Assigns `version` to `environment` with the next counter, at the version's registration commit, after checking:
    /// registered and live; not on hold there; the version and what it references resolve; and the environment's
    /// policies (`PolicyEngine`: live in the previous environment unless `skipOrderReason` is given, compliance,
    /// approvals, risk, gates, freeze windows), as apply checks them.
    public func promote(_ version: ArtifactVersion, to environment: String, message: String? = nil,
                        skipOrderReason: String? = nil) async throws -> Outcome {
        if version.id.isTagOnly { return try await promoteTagOnly(version, to: environment, message: message) }
        let settings = try config.require(environment: environment)
        let events = try reader.tagEvents()
        let facts = DeclaredState.Facts(events, environment: environment)
        let registrations = facts.registrations
        guard let registration = registrations.live[version] else {
            throw registrations.whyNotLive(version)
        }
        if let already = Self.alreadyAssigned(version, to: environment, events: events, registrations: registrations) { return already }
        if let hold = facts.holds.hold(on: version, in: environment) {
            try await refuse(.onHold(version, environment: environment, hold: hold.name, reason: Self.reason(of: hold)), environment: environment, version: version)
        }
        if let pinned = try Self.pinnedByDependent(version, environment: environment, events: events, reader: reader, isProtected: settings.policy.isProtected,
                                                    commit: registration.commit) {
            try await refuse(pinned, environment: environment, version: version)
        }
        let tag = TagName.assign(version.id, environment: environment, counter: try nextCounter(version.id, events))
        var fields = [("actor", actor)]
        if let message { fields.append(("message", message)) }
        if let skipOrderReason { fields.append((PolicyEngine.skipField, skipOrderReason)) }
        let body = TagMessage(subject: "promote \(version) to \(environment)", fields: fields).text
        // The version and everything it references, judged as apply will judge them in this environment.
        let assignment = EnvironmentAssignments.Assignment(
            version: version, tag: TagEvent(tag: tag, name: tag.text, commit: registration.commit, tagger: nil, message: body), registration: registration)
        let (candidates, documents, problems) = try DeclaredState.candidates(assigning: assignment, facts: facts, reader: reader,
                                                                             isProtected: settings.policy.isProtected)
        if !problems.isEmpty {
            try await refuse(.wouldNotApply(version, environment: environment, problems: problems), environment: environment, version: version)
        }
        var engine = try await Reconciler(reader: reader, store: store, config: config).policyEngine(for: environment, now: now)
        try await TagSignatures.gather(candidates, into: &engine, events: { events }, reader: reader, config: config,
                                       policyCommit: policyCommit ?? registration.commit, store: store, now: now)
        let digest = ContentDigest.of(documents[version.id]!)
        var pending = PendingTag(name: tag.text, target: registration.commit, message: body,
            audit: draft(.promote, environment: environment, version: version, digest: digest, commit: registration.commit, tag: tag.text,
                         summary: "promoted \(version) to \(environment)" + (skipOrderReason.map { " (order skipped: \($0))" } ?? ""),
                         document: documents[version.id]!))
        // The tag is judged as apply will judge it: its bytes as they will be written, signed or not.
        if settings.policy.requiresSignedAssignments {
            let bytes = try tagBytes(pending, tagger: try signature())
            pending.bytes = bytes
            engine.signatures[tag.text] = try TagSignatures.judge(bytes: bytes, reader: reader, config: config,
                                                                  policyCommit: policyCommit ?? registration.commit, at: now)
        }
        if let refusal = engine.check(candidates) {
            try await refuse(.policy(refusal), environment: environment, version: version)
        }
        return Outcome(tags: try await write([pending]))
    }

    /// "Nothing to do" when `version` is what the tags assign `environment` now.
    static func alreadyAssigned(_ version: ArtifactVersion, to environment: String, events: [TagEvent], registrations: Registrations) -> Outcome? {
        guard case .registered(let current)? = EnvironmentAssignments.current(events, registrations: registrations, environment: environment)[version.id]?[environment],
              current.version == version else { return nil }
        return Outcome(notes: ["\(version) is already assigned to '\(environment)' (\(current.tag.name))"])
    }

    /// What the environment runs already and pins `version`'s artifact must accept `version`, or plan would refuse both:
    /// the refusal naming the first dependent that does not, or nil. Promote and the pre-receive hook both ask.
    /// `events` are the tags to judge by (the pre-receive hook's include what is being pushed).
    static func pinnedByDependent(_ version: ArtifactVersion, environment: String, events: [TagEvent], reader: RegistryReader, isProtected: Bool,
                                  commit: ObjectID) throws -> Refusal? {
        let running = try DeclaredResolution.resolve(environment: environment, reader: reader, isProtected: isProtected, commit: commit)
        guard let pin = running.pins(of: version.id).first(where: { $0.dependent.version.id != version.id && !$0.reference.requirement.accepts(version.version) })
        else { return nil }
        // Up from the dependent to what the environment assigns directly: a newer registered version of that one whose
        // closure takes `version` is the promotion to suggest (after `cairn bump`, the deployment's new version).
        var root = pin.dependent
        var seen: Set<ArtifactID> = [root.version.id]
        while let requirer = DeclaredState.Source.requirer(root.tag), let above = running.pins(of: root.version.id).first(where: { $0.dependent.version == requirer })?.dependent,
              seen.insert(above.version.id).inserted {
            root = above
        }
        var instead: ArtifactVersion?
        if DeclaredState.Source.requirer(root.tag) == nil {
            let facts = DeclaredState.Facts(events, environment: environment)
            let newer = (facts.registrations.liveVersions[root.version.id] ?? []).filter { $0 > root.version }.sorted(by: >)
            for candidate in newer.prefix(8) where facts.holds.hold(on: candidate, in: environment) == nil {
                guard let registration = facts.registrations.live[candidate] else { continue }
                let tag = TagName.assign(candidate.id, environment: environment, counter: 0)
                let assignment = EnvironmentAssignments.Assignment(
                    version: candidate, tag: TagEvent(tag: tag, name: tag.text, commit: registration.commit, tagger: nil, message: ""), registration: registration)
                let (candidates, _, problems) = try DeclaredState.candidates(assigning: assignment, facts: facts, reader: reader, isProtected: isProtected)
                if problems.isEmpty, candidates.contains(where: { $0.version == version }) {
                    instead = candidate
                    break
                }
            }
        }
        return .pinnedByDependent(version, environment: environment, dependent: pin.dependent.version, field: pin.field, text: pin.text, instead: instead)
    }

    /// A tag-only artifact's promotion, as GTO's `assign`: registered and live, to a stage cairn.yaml defines (any GTO
    /// stage name when it defines none). No holds, pins or policies: those are about what an environment runs, and a
    /// tag-only artifact is never deployed.
    func promoteTagOnly(_ version: ArtifactVersion, to environment: String, message: String?) async throws -> Outcome {
        try requireStage(environment, for: version.id)
        let events = try reader.tagEvents()
        let registrations = Registrations(events)
        guard let registration = registrations.live[version] else { throw registrations.whyNotLive(version) }
        if let already = Self.alreadyAssigned(version, to: environment, events: events, registrations: registrations) { return already }
        let tag = TagName.assign(version.id, environment: environment, counter: try nextCounter(version.id, events)).text
        let fields = [("actor", actor)] + (message.map { [("message", $0)] } ?? [])
        return Outcome(tags: try await write([PendingTag(name: tag, target: registration.commit,
            message: TagMessage(subject: "promote \(version) to \(environment)", fields: fields).text,
            audit: draft(.promote, environment: environment, version: version, digest: "", commit: registration.commit, tag: tag,
                         summary: "promoted \(version) to \(environment) (tag-only)"))]))
    }

    /// The environment a tag of `id` may name: one of cairn.yaml's; for a tag-only artifact in a registry whose
    /// cairn.yaml defines none (a GTO repository), any stage name GTO accepts.
    func requireStage(_ environment: String, for id: ArtifactID) throws {
        guard id.isTagOnly, config.environments.isEmpty else {
            _ = try config.require(environment: environment)
            return
        }
        guard ArtifactID.isGTOName(environment) else { throw CairnError.unknownEnvironment(environment, defined: []) }
    }

    // MARK: - Rollback and holds

    /// Assigns to `environment` the version it ran before the current one (or `target`), and holds the version
    /// rolled back from there, so that neither a reconciler nor a later promote brings it back until released.
    public func rollback(_ id: ArtifactID, in environment: String, to target: SemVer? = nil, reason: String? = nil) async throws -> Outcome {
        _ = try config.require(environment: environment)
        let events = try reader.tagEvents()
        let registrations = Registrations(events)
        let holds = Holds(events)
        guard case .registered(let current)? = EnvironmentAssignments.current(events, registrations: registrations, environment: environment)[id]?[environment] else {
            throw CairnError.nothingToRollBack(id, environment: environment)
        }
        let back: ArtifactVersion
        if let target {
            back = ArtifactVersion(id: id, version: target)
            guard back != current.version else { throw CairnError.alreadyRunning(back, environment: environment) }
        } else {
            // Earlier assignments to this environment, newest first: the first other version still live and not held.
            let earlier = events.filter { event in
                if case .assign(id, environment, _) = event.tag { return true }
                return false
            }.sorted { $1.precedes($0) }
            let candidates = earlier.compactMap { registrations.liveVersion(of: id, at: $0.commit) }
            guard let previous = candidates.first(where: { $0 != current.version && holds.hold(on: $0, in: environment) == nil }) else {
                throw CairnError.noEarlierVersion(id, environment: environment, before: current.version.version)
            }
            back = previous
        }
        guard let registration = registrations.live[back] else { throw registrations.whyNotLive(back) }
        if let hold = holds.hold(on: back, in: environment) {
            throw CairnError.targetOnHold(back, environment: environment, hold: hold.name)
        }
        let document = try reader.document(of: back, at: registration.commit)
        let assign = TagName.assign(id, environment: environment, counter: try nextCounter(id, events)).text
        let holdTag = TagName.hold(id, current.version.version, environment: environment,
                                   counter: try Self.counter(after: holds.counters[Holds.Key(environment: environment, version: current.version)] ?? 0, of: id)).text
        let fields = [("actor", actor)] + (reason.map { [("reason", $0)] } ?? [])
        return Outcome(tags: try await write([
            PendingTag(name: assign, target: registration.commit,
                       message: TagMessage(subject: "\(TagLedger.rollbackMarker) \(id) in \(environment) from \(current.version.version) to \(back.version)", fields: fields).text,
                       audit: draft(.rollback, environment: environment, version: back, digest: ContentDigest.of(document), commit: registration.commit,
                                    tag: assign, summary: "rolled back \(id) in \(environment) from \(current.version.version) to \(back.version)", document: document)),
            PendingTag(name: holdTag, target: current.registration.commit,
                       message: TagMessage(subject: "hold \(current.version) in \(environment): rolled back", fields: fields).text,
                       audit: draft(.hold, environment: environment, version: current.version, digest: "", commit: current.registration.commit,
                                    tag: holdTag, summary: "held \(current.version) in \(environment) after a rollback")),
        ]))
    }

    /// Puts a hold on `version` in `environment` (`lift` false) or lifts it (`lift` true).
    public func hold(_ version: ArtifactVersion, in environment: String, reason: String, lift: Bool = false) async throws -> Outcome {
        _ = try config.require(environment: environment)
        let events = try reader.tagEvents()
        let registrations = Registrations(events)
        guard let registration = registrations.all[version] else { throw registrations.whyNotLive(version) }
        let holds = Holds(events)
        let key = Holds.Key(environment: environment, version: version)
        let held = holds.active[key] != nil
        if held != lift {
            return Outcome(notes: ["\(version) is \(lift ? "not" : "already") on hold in '\(environment)'"])
        }
        let counter = try Self.counter(after: holds.counters[key] ?? 0, of: version.id)
        let tag = (lift ? TagName.release(version.id, version.version, environment: environment, counter: counter)
                        : TagName.hold(version.id, version.version, environment: environment, counter: counter)).text
        let verb: AuditAction = lift ? .release : .hold
        return Outcome(tags: try await write([PendingTag(name: tag, target: registration.commit,
            message: TagMessage(subject: "\(verb.rawValue) \(version) in \(environment)", fields: [("actor", actor), ("reason", reason)]).text,
            audit: draft(verb, environment: environment, version: version, digest: "", commit: registration.commit, tag: tag,
                         summary: "\(lift ? "released" : "held") \(version) in \(environment): \(reason)"))]))
    }

    // MARK: - Unassign and deprecate (GTO's own tags)

    /// Withdraws `environment`'s direct assignment of `id`: GTO's `NAME#ENV!#N`, at the commit the assignment points
    /// to. What the environment runs of `id` is then what its other assignments and its dependents say (an artifact
    /// that something assigned there requires stays, as required by it).
    public func unassign(_ id: ArtifactID, in environment: String, reason: String? = nil) async throws -> Outcome {
        try requireStage(environment, for: id)
        let events = try reader.tagEvents()
        let registrations = Registrations(events)
        guard registrations.versions[id] != nil || events.contains(where: { $0.tag.artifact == id }) else { throw registrations.unknown(id) }
        guard case .registered(let current)? = EnvironmentAssignments.current(events, registrations: registrations, environment: environment)[id]?[environment] else {
            return Outcome(notes: ["\(id) is not assigned to '\(environment)'"])
        }
        let tag = TagName.unassign(id, environment: environment, counter: try nextCounter(id, events)).text
        let fields = [("actor", actor)] + (reason.map { [("reason", $0)] } ?? [])
        return Outcome(tags: try await write([PendingTag(name: tag, target: current.tag.commit,
            message: TagMessage(subject: "unassign \(id) from \(environment)", fields: fields).text,
            audit: draft(.unassign, environment: environment, version: current.version, digest: "", commit: current.tag.commit, tag: tag,
                         summary: "unassigned \(current.version) from \(environment)" + (reason.map { ": \($0)" } ?? "")))]))
    }

    /// Marks `id` deprecated: GTO's `NAME@deprecated#N`, at its newest registration's commit. `show` lists it no more
    /// (`--deprecated` does); its tags, assignments and deployed rows are untouched.
    public func deprecate(_ id: ArtifactID, reason: String? = nil) async throws -> Outcome {
        let events = try reader.tagEvents()
        let registrations = Registrations(events)
        guard let newest = registrations.versions[id]?.max(), let registration = registrations.all[newest] else { throw registrations.unknown(id) }
        if TagLedger(events).rows.first(where: { $0.id == id })?.active == false {
            return Outcome(notes: ["\(id) is deprecated already"])
        }
        let tag = TagName.deprecate(id, counter: try nextCounter(id, events)).text
        let fields = [("actor", actor)] + (reason.map { [("reason", $0)] } ?? [])
        return Outcome(tags: try await write([PendingTag(name: tag, target: registration.commit,
            message: TagMessage(subject: "deprecate \(id)", fields: fields).text,
            audit: draft(.deprecate, environment: "", version: newest, digest: "", commit: registration.commit, tag: tag,
                         summary: "deprecated \(id)" + (reason.map { ": \($0)" } ?? "")))]))
    }

    /// The reason line of a hold's message, if it has one.
    static func reason(of tag: TagEvent) -> String? {
        TagMessage(parsing: tag.message)["reason"]
    }

    // MARK: - Helpers

    struct PendingTag {
        let name: String
        let target: ObjectID
        let message: String
        let audit: AuditDraft
        /// The tag object's bytes when they were made (and judged) before writing.
        var bytes: [UInt8]? = nil
    }

    /// The tag object's bytes as they will be written: git's payload, with the signature appended when signing.
    func tagBytes(_ tag: PendingTag, tagger: Signature) throws -> [UInt8] {
        let payload = try repository.tagPayload(name: tag.name, target: tag.target, tagger: tagger, message: tag.message)
        guard let signer else { return payload }
        return payload + Array(try signer.sign(payload).utf8)
    }

    /// Writes `tags` (signed when a signer is set), pushes them when a remote is set, then audits them. A failed push
    /// deletes the tags again. An assignment or unassignment in an environment that takes signed assignments only is
    /// refused before anything is written when there is no signer.
    func write(_ tags: [PendingTag]) async throws -> [String] {
        guard !tags.isEmpty else { return [] }
        if signer == nil, let tag = tags.first(where: { requiresSignature($0.name) }) {
            let environment = tag.audit.environment
            let refusal = PolicyEngine.Refusal(policy: .signedPromotions, artifact: tag.audit.artifact,
                                               message: "'\(environment)' takes signed assignments only, and \(tag.name) would not be signed; pass --sign (git's user.signingKey)")
            try await refuse(.policy(refusal), environment: environment, artifact: tag.audit.artifact, summary: "tag refused")
        }
        let tagger = try signature()
        var written: [String] = []
        var objects: [String] = []
        func undo() { for name in written { try? repository.deleteTag(name: name) } }
        do {
            for tag in tags {
                if let bytes = try tag.bytes ?? (signer != nil ? tagBytes(tag, tagger: tagger) : nil) {
                    objects.append(try repository.createTag(bytes: bytes).hex)
                } else {
                    try repository.createTag(name: tag.name, target: tag.target, tagger: tagger, message: tag.message)
                }
                written.append(tag.name)
            }
            if let remote { try repository.push(written.map { "refs/tags/" + $0 }, to: remote) }
        } catch {
            undo()
            throw error
        }
        do {
            try await store.appendAudit(tags.map(\.audit))
            // A signed tag is first seen now, by the cairn that wrote it: its signer's window is judged at this time.
            if !objects.isEmpty { _ = try await store.firstSightings(of: objects, now: now) }
        } catch {
            if remote == nil { undo() }
            throw error
        }
        return written
    }

    /// Whether `name` assigns or unassigns in an environment whose policy takes signed assignments only.
    func requiresSignature(_ name: String) -> Bool {
        switch TagName(name) {
        case .assign(_, let environment, _)?, .unassign(_, let environment, _)?:
            config.environment(named: environment)?.policy.requiresSignedAssignments ?? false
        default:
            false
        }
    }

    /// The tagger: the actor's name (without the angle brackets a signature may not hold), with git's configured email
    /// (or none).
    func signature() throws -> Signature {
        let configured = try? repository.defaultSignature()
        return Signature(name: String(actor.filter { $0 != "<" && $0 != ">" }), email: configured?.email ?? "", time: now)
    }

    func draft(_ action: AuditAction, environment: String, version: ArtifactVersion, digest: String, commit: ObjectID, tag: String,
               summary: String, document: JSONValue? = nil) -> AuditDraft {
        AuditDraft(time: now, actor: actor, action: action, environment: environment, artifact: version.description, digest: digest,
                   commit: commit.hex, tag: tag, planSummary: summary,
                   compliance: document.map { Reconciler.complianceSnapshot($0) } ?? "")
    }

    /// Audits a refusal and throws it.
    func refuse(_ refusal: Refusal, environment: String, version: ArtifactVersion) async throws -> Never {
        try await refuse(refusal, environment: environment, artifact: version.description, summary: "promotion refused")
    }

    /// Audits a refusal about `artifact` (`KIND/NAME@VERSION`) with `summary` as its plan summary, and throws it.
    func refuse(_ refusal: Refusal, environment: String, artifact: String, summary: String) async throws -> Never {
        try await store.appendAudit([AuditDraft(time: now, actor: actor, action: .refuse, environment: environment, artifact: artifact,
                                                planSummary: summary, compliance: JSONValue.quoted(refusal.description))])
        throw refusal
    }

    /// GTO's next counter: one more than the highest counter on any of the artifact's tags.
    func nextCounter(_ id: ArtifactID, _ events: [TagEvent]) throws -> Int {
        try Self.counter(after: events.filter { $0.tag.artifact == id }.map(\.tag.counter).max() ?? 0, of: id)
    }

    /// One more than `highest`, refused past the largest counter the grammar reads (a tag no reader would see).
    static func counter(after highest: Int, of id: ArtifactID) throws -> Int {
        guard highest < TagName.maxCounter else {
            throw CairnError.counterExhausted(id, highest: highest, largest: TagName.maxCounter)
        }
        return highest + 1
    }
}
