import CairnModel
import CairnReconciler
import Testing

@Suite("Policy checks and timestamps")
struct PolicyCheckTests {
    @Test("RFC 3339 date-times, fractional seconds and bare dates are read; other text is not")
    func timestamps() {
        #expect(Timestamp.seconds("2026-03-03T12:00:00Z") == 1_772_539_200)
        #expect(Timestamp.seconds("2026-03-03T13:00:00+01:00") == 1_772_539_200)
        #expect(Timestamp.seconds("2026-03-03T12:00:00.5Z") == 1_772_539_200)
        #expect(Timestamp.seconds("2026-03-03") == 1_772_496_000)
        #expect(Timestamp.seconds("March 3rd") == nil)
        #expect(Timestamp.text(1_772_539_200) == "2026-03-03T12:00:00Z")
    }

    @Test("a freeze window refuses everything inside it and nothing outside")
    func freezeWindow() {
        var environment = RegistryConfig.Environment(name: "production")
        environment.policy.freezeWindows = [RegistryConfig.FreezeWindow(from: "2026-12-22T00:00:00Z", until: "2027-01-04T00:00:00Z", reason: "year end")]
        let plan = Plan(environment: "production", commit: "c", serial: 0, actions: [], problems: [])
        let inside = PolicyCheck.check(plan, documents: [:], environment: environment, previousLive: nil, previousName: nil,
                                       now: Timestamp.seconds("2026-12-24T09:00:00Z")!)
        #expect(inside?.policy == "freezeWindows")
        #expect(inside?.message.contains("year end") == true)
        #expect(PolicyCheck.check(plan, documents: [:], environment: environment, previousLive: nil, previousName: nil,
                                  now: Timestamp.seconds("2027-01-05T00:00:00Z")!) == nil)
    }
}
