import CairnModel
import CairnRegistry
import CairnState
import CairnTrust
import Foundation
import Git2

/// What a server accepts in a push (the `pre-receive` hook): branch updates that pass `cairn check`, and tags
/// that follow the grammar and the promotion rules. Cairn and GTO tags are history: they are never moved or deleted.
public struct ReceiveCheck: Sendable {
    /// One line of a pre-receive hook's input: `OLD NEW REF`, with all-zero ids for "none".
    public struct Update: Sendable, Hashable {
        public let old: ObjectID?
        public let new: ObjectID?
        public let reference: String

        public init?(line: Substring) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let old = ObjectID(hex: String(parts[0])), let new = ObjectID(hex: String(parts[1])) else { return nil }
            self.old = old == .zero ? nil : old
            self.new = new == .zero ? nil : new
            reference = String(parts[2])
        }
    }

    /// One line per refused update: the reference and why.
    public let rejections: [String]

    /// - Parameters:
    ///   - config: `cairn.yaml` as the server has it (environments and their policies), if any.
    ///   - store: the deployed state, when the server can reach it (`CAIRN_STATE_URL` or `git config cairn.state`):
    ///     then an assignment is judged exactly as promote and apply judge it. Without it, "live in the previous
    ///     environment" can only be "assigned there", which refuses what cannot be live and leaves the rest to apply.
    ///   - policyCommit: the commit `config` was read at, where the allowed signers are read too.
    ///   - now: seconds since 1970, for freeze windows and for signatures (the server sees a pushed tag first).
    public init(reader: RegistryReader, updates: [Update], config: RegistryConfig?, policyCommit: ObjectID? = nil, store: (any StateStore)? = nil,
                now: Int64 = Int64(Date().timeIntervalSince1970)) async throws {
        let repository = reader.location.repository
        var rejections: [String] = []
        let tagPrefix = "refs/tags/"
        let touched = Set(updates.filter { $0.reference.hasPrefix(tagPrefix) }.map { String($0.reference.dropFirst(tagPrefix.count)) })
        // The tags as they will be if the push is accepted: those kept, plus those pushed.
        // The references are listed once: the events are read from them, and anchors (not events) are looked up in them.
        let references = try repository.tagReferences()
        var events = try reader.tagEvents(references).filter { !touched.contains($0.name) }
        let existingNames = Set(references.map(\.name))
        var pushed: [(Update, TagEvent)] = []
        for update in updates where update.reference.hasPrefix(tagPrefix) {
            let name = String(update.reference.dropFirst(tagPrefix.count))
            guard Self.isCairnTag(name) else { continue }
            if EvidenceTag.isEvidenceNamespace(name) {
                if let problem = try Self.evidenceProblem(update, name: name, repository: repository) {
                    rejections.append("\(update.reference): \(problem)")
                }
                continue
            }
            if AnchorTag.isAnchorNamespace(name) {
                if let problem = try Self.anchorProblem(update, name: name, repository: repository, updates: updates, existing: existingNames) {
                    rejections.append("\(update.reference): \(problem)")
                }
                continue
            }
            guard let tag = TagName(name) else {
                // A tag cairn cannot read (one pushed before the hook refused it, say) is not registry history:
                // deleting it is how it is cleaned up.
                if update.new == nil { continue }
                let why = TagName.problem(name).map { $0.replacingOccurrences(of: "; it is ignored", with: "") }
                    ?? "'\(name)' does not follow the tag grammar (KIND/NAME@vX.Y.Z, KIND/NAME#ENV#N, ...)"
                rejections.append("\(update.reference): \(why)")
                continue
            }
            guard update.old == nil else {
                rejections.append("\(update.reference): \(update.new == nil ? "deletes" : "rewrites") \(name); registry tags are history and are never \(update.new == nil ? "deleted" : "moved")")
                continue
            }
            guard let new = update.new, let (target, annotation) = try repository.annotatedTag(new) else {
                rejections.append("\(update.reference): \(name) is a lightweight tag; registry tags must be annotated (git tag -a)")
                continue
            }
            let event = TagEvent(tag: tag, name: name, commit: target, tagger: annotation.tagger, message: annotation.message, object: new)
            events.append(event)
            pushed.append((update, event))
        }
        let registrations = Registrations(events)
        let holds = Holds(events)
        let current = EnvironmentAssignments.current(events, registrations: registrations)
        for (update, event) in pushed {
            switch event.tag {
            case .register(let id, let version):
                // A tag-only artifact's version is whatever the commit holds: nothing of cairn's to find there.
                if id.isTagOnly { continue }
                let versioned = ArtifactVersion(id: id, version: version)
                if try !reader.artifacts(at: event.commit).contains(where: { $0.summary.versioned == versioned }) {
                    rejections.append("\(update.reference): registers \(versioned), which is not in the registry at \(event.commit.short)")
                }
            case .assign(let id, let environment, _):
                let settings = config?.environment(named: environment)
                guard let version = registrations.liveVersion(of: id, at: event.commit) else {
                    if settings?.policy.isProtected == true {
                        rejections.append("\(update.reference): assigns a version of \(id) that is not registered (commit \(event.commit.short)) to protected '\(environment)'")
                    } else if settings?.policy.promoteFromPrevious == true, let previous = config?.environment(before: environment) {
                        rejections.append("\(update.reference): assigns a version of \(id) that is not registered (commit \(event.commit.short)), so it cannot have come from '\(previous)', which '\(environment)' takes its versions from")
                    }
                    continue
                }
                if let hold = holds.hold(on: version, in: environment) {
                    rejections.append("\(update.reference): \(version) is on hold in '\(environment)' (\(hold.name))")
                    continue
                }
                // Policies are about what an environment runs; a tag-only artifact is never deployed.
                if id.isTagOnly { continue }
                guard let config, let settings, let registration = registrations.live[version] else { continue }
                if let pinned = try Lifecycle.pinnedByDependent(version, environment: environment, events: events, reader: reader,
                                                                isProtected: settings.policy.isProtected, commit: registration.commit) {
                    rejections.append("\(update.reference): \(pinned)")
                    continue
                }
                let facts = DeclaredState.Facts(events, environment: environment)
                let assignment = EnvironmentAssignments.Assignment(version: version, tag: event, registration: registration)
                let (candidates, _, problems) = try DeclaredState.candidates(assigning: assignment, facts: facts, reader: reader,
                                                                             isProtected: settings.policy.isProtected)
                if !problems.isEmpty {
                    rejections.append("\(update.reference): \(Lifecycle.Refusal.wouldNotApply(version, environment: environment, problems: problems))")
                    continue
                }
                // With the store, the engine apply uses; without, "live" can only be "assigned there by the tags".
                var engine: PolicyEngine
                if let store {
                    engine = try await Reconciler(reader: reader, store: store, config: config).policyEngine(for: environment, now: now)
                } else {
                    var previous: PolicyEngine.Previous?
                    if settings.policy.promoteFromPrevious, let before = config.environment(before: environment) {
                        let assigned = current.values.compactMap { environments -> ArtifactVersion? in
                            if case .registered(let there)? = environments[before] { return there.version }
                            return nil
                        }
                        previous = PolicyEngine.Previous(name: before, live: Set(assigned), isDeployedState: false)
                    }
                    engine = PolicyEngine(environment: settings, previous: previous, now: now)
                }
                // The server sees a pushed tag first: its signer's window is judged now (and recorded, with a store).
                try await TagSignatures.gather(candidates, into: &engine, events: { events }, reader: reader, config: config,
                                               policyCommit: policyCommit ?? event.commit, store: store, now: now)
                if let refusal = engine.check(candidates) {
                    rejections.append("\(update.reference): \(refusal)")
                }
            case .unassign(let id, let environment, _):
                // A withdrawal from an environment that takes signed assignments only must be signed too.
                guard let config, let settings = config.environment(named: environment), settings.policy.requiresSignedAssignments,
                      let object = event.object else { continue }
                var engine = PolicyEngine(environment: settings, previous: nil, now: now)
                engine.signatures = try await TagSignatures.judge([(event.name, object)], reader: reader, config: config,
                                                                  policyCommit: policyCommit ?? event.commit, store: store, now: now)
                if let refusal = engine.checkWithdrawals([(id.description, event.name)]) {
                    rejections.append("\(update.reference): \(refusal)")
                }
            default:
                continue
            }
        }
        for update in updates where update.reference.hasPrefix("refs/heads/") {
            guard let new = update.new else { continue }
            // A new branch is checked against itself: it must validate; the PR gate ran where it was reviewed.
            // Against the tags as they will be: a branch pushed with the tags that register its versions passes.
            let check = try PullRequestCheck(reader: reader, base: update.old ?? new, head: new, events: events)
            rejections += check.violations.map { "\(update.reference): \($0)" }
        }
        self.rejections = rejections
    }

    /// Why an update of an audit anchor or retirement is refused, or nil. Anchors and retirements are never moved
    /// or deleted (a bad anchor is retired instead); a new one must be annotated and well-formed, and a retirement
    /// must name an anchor that exists or arrives in the same push. The server cannot see the store the anchor was
    /// written against, so whether its hash matches is for `cairn audit verify` to say.
    static func anchorProblem(_ update: Update, name: String, repository: Repository, updates: [Update], existing: Set<String>) throws -> String? {
        guard update.old == nil else {
            return "audit anchors are never moved or deleted; set a bad one aside with 'cairn audit retire-anchor N --reason ...'"
        }
        guard let anchor = AnchorTag(name) else {
            return "'\(name)' is not an audit anchor (cairn-audit/N) or a retirement (cairn-audit-retired/N), N from 1"
        }
        guard let new = update.new else { return nil }
        let message = try repository.annotatedTag(new)?.annotation.message
        if case .failure(let problem) = anchor.recordedHash(message: message) { return problem.description }
        if case .retired(let sequence) = anchor {
            let target = AnchorTag.anchor(sequence: sequence).name
            let arriving = updates.contains { $0.reference == "refs/tags/" + target && $0.new != nil }
            guard existing.contains(target) || arriving else { return "retires \(target), which does not exist" }
        }
        return nil
    }

    /// Why an update of an evidence tag is refused, or nil: evidence is history (never moved or deleted); a new tag
    /// must be annotated, well named, and hold a statement about the version its name says. Whether a policy counts
    /// it (its digest, its signer) is for promote and apply to judge.
    static func evidenceProblem(_ update: Update, name: String, repository: Repository) throws -> String? {
        guard update.old == nil else { return "evidence tags are history: they are never moved or deleted" }
        guard let tag = EvidenceTag(name) else {
            return "'\(name)' is not an evidence tag (cairn-eval/KIND/NAME/vX.Y.Z/ID or cairn-approval/..., ID 16 hex digits)"
        }
        guard let new = update.new, let (_, annotation) = try repository.annotatedTag(new) else {
            return "\(name) is a lightweight tag; evidence tags are annotated, with an in-toto statement in their message"
        }
        guard let statement = EvidenceStatement(tagMessage: annotation.message), statement.isFiled(under: tag) else {
            return "\(name) holds no in-toto statement about \(tag.version) of its kind"
        }
        return nil
    }

    /// Tags that look like the registry's (GTO's grammar or cairn's own); other tags (release tags of the repository
    /// itself, say) are not the registry's business.
    static func isCairnTag(_ name: String) -> Bool {
        name.contains("@") || name.contains("#") || name.hasPrefix("cairn-")
    }
}
