import CairnModel
import CairnRegistry
import Git2
import Testing

@Suite("Assignments of an environment from hand-written tag lists")
struct EnvironmentAssignmentsTests {
    static let commitA = ObjectID(hex: String(repeating: "a", count: 40))!
    static let commitB = ObjectID(hex: String(repeating: "b", count: 40))!
    static let prompt = ArtifactID("prompt/triage")!

    func event(_ name: String, at commit: ObjectID, time: Int64) -> TagEvent {
        TagEvent(tag: TagName(name)!, name: name, commit: commit, tagger: Signature(name: "t", email: "t@example.com", time: time), message: "")
    }

    var registered: [TagEvent] {
        [event("prompt/triage@v1.0.0", at: Self.commitA, time: 10), event("prompt/triage@v1.1.0", at: Self.commitB, time: 20)]
    }

    @Test("the latest assignment by counter wins, whatever the list order")
    func reassignment() {
        let events = registered + [
            event("prompt/triage#production#3", at: Self.commitA, time: 40),
            event("prompt/triage#production#2", at: Self.commitB, time: 50),
        ]
        let resolved = EnvironmentAssignments.resolve(events.reversed(), environment: "production")
        #expect(resolved.assignments[Self.prompt]?.version.description == "prompt/triage@1.0.0")
        #expect(resolved.assignments[Self.prompt]?.registration.name == "prompt/triage@v1.0.0")
    }

    @Test("an unassignment after the assignment leaves nothing; a later assignment brings it back")
    func unassignment() {
        var events = registered + [
            event("prompt/triage#staging#1", at: Self.commitB, time: 30),
            event("prompt/triage#staging!#2", at: Self.commitB, time: 31),
        ]
        #expect(EnvironmentAssignments.resolve(events, environment: "staging").assignments.isEmpty)
        events.append(event("prompt/triage#staging#3", at: Self.commitA, time: 32))
        #expect(EnvironmentAssignments.resolve(events, environment: "staging").assignments[Self.prompt]?.version.version == SemVer("1.0.0"))
    }

    @Test("equal counters fall back to tagger time")
    func counterTie() {
        let events = registered + [
            event("prompt/triage#dev#5", at: Self.commitB, time: 100),
            event("prompt/triage#dev#5", at: Self.commitA, time: 90),
        ]
        #expect(EnvironmentAssignments.resolve(events, environment: "dev").assignments[Self.prompt]?.version.version == SemVer("1.1.0"))
    }

    @Test("other environments do not count")
    func otherEnvironments() {
        let events = registered + [event("prompt/triage#dev#1", at: Self.commitB, time: 30)]
        #expect(EnvironmentAssignments.resolve(events, environment: "production").assignments.isEmpty)
    }

    @Test("a deregistered version no longer counts: the environment falls back to the version assigned before it (as GTO)")
    func deregistered() {
        let alone = registered + [
            event("prompt/triage#production#1", at: Self.commitB, time: 30),
            event("prompt/triage@v1.1.0!#2", at: Self.commitB, time: 40),
        ]
        #expect(EnvironmentAssignments.resolve(alone, environment: "production").assignments.isEmpty)
        #expect(EnvironmentAssignments.resolve(alone, environment: "production").problems.isEmpty)
        let earlier = alone + [event("prompt/triage#production#0", at: Self.commitA, time: 20)]
        #expect(EnvironmentAssignments.resolve(earlier, environment: "production").assignments[Self.prompt]?.version.version == SemVer("1.0.0"))
    }

    @Test("unassigning the current version brings back the one assigned before it, as GTO reads it")
    func unassignCurrent() {
        let events = registered + [
            event("prompt/triage#dev#1", at: Self.commitA, time: 30),
            event("prompt/triage#dev#2", at: Self.commitB, time: 31),
            event("prompt/triage#dev!#3", at: Self.commitB, time: 32),
        ]
        #expect(EnvironmentAssignments.resolve(events, environment: "dev").assignments[Self.prompt]?.version.version == SemVer("1.0.0"))
    }

    @Test("a version on hold in an environment is reported there, not deployed; a release lifts the hold")
    func holds() {
        var events = registered + [
            event("prompt/triage#production#1", at: Self.commitB, time: 30),
            event("cairn-hold/production/prompt/triage/v1.1.0/1", at: Self.commitB, time: 31),
        ]
        let held = EnvironmentAssignments.resolve(events, environment: "production")
        #expect(held.assignments.isEmpty)
        #expect(held.problems.first?.message.contains("on hold") == true)
        #expect(EnvironmentAssignments.resolve(events + [event("prompt/triage#dev#2", at: Self.commitB, time: 32)], environment: "dev")
            .assignments[Self.prompt] != nil)  // held in production only
        events.append(event("cairn-release/production/prompt/triage/v1.1.0/2", at: Self.commitB, time: 33))
        #expect(EnvironmentAssignments.resolve(events, environment: "production").assignments[Self.prompt]?.version.version == SemVer("1.1.0"))
    }

    @Test("an assignment at a commit with no registration is reported")
    func unregistered() {
        let other = ObjectID(hex: String(repeating: "c", count: 40))!
        let resolved = EnvironmentAssignments.resolve(registered + [event("prompt/triage#dev#1", at: other, time: 30)], environment: "dev")
        #expect(resolved.assignments.isEmpty)
        #expect(resolved.problems.first?.message.contains("register it first") == true)
    }
}
