import CairnModel
import CairnReconciler
import CairnRegistry
import Foundation
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
        for invalid in ["2026-02-29", "2024-02-30", "2026-13-01", "2026-03-03T24:00:00Z", "2026-03-03T12:00:00",
                        "2026-03-03T12:00Z", "2026-03-03T12:00:00.Z", "2026-03-03T12:00:00+1:00", "2026-03-03Z", " 2026-03-03"] {
            #expect(Timestamp.seconds(invalid) == nil, "\(invalid)")
        }
        #expect(Timestamp.seconds("2024-02-29t23:59:59z") == Timestamp.seconds("2024-03-01T00:59:59+01:00"))
    }

    @Test("times print and read as Foundation's ISO 8601 formatter does, leap years and centuries included")
    func timestampsAgreeWithFoundation() {
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        // -2208988800 is 1900-01-01 (not a leap year), 7258118400 is 2200-01-01; 951782400 is 2000-02-29.
        let fixed: [Int64] = [0, -1, -2_208_988_800, 951_782_400, 951_868_799, 4_107_542_399, 7_258_118_400]
        for seconds in fixed + (0..<2000).map({ _ in Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator) }) {
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(Timestamp.text(seconds) == expected)
            #expect(Timestamp.seconds(expected) == seconds)
        }
    }

    @Test("a freeze window refuses everything inside it and nothing outside")
    func freezeWindow() {
        var environment = RegistryConfig.Environment(name: "production")
        environment.policy.freezeWindows = [RegistryConfig.FreezeWindow(from: "2026-12-22T00:00:00Z", until: "2027-01-04T00:00:00Z", reason: "year end")]
        let inside = PolicyEngine(environment: environment, previous: nil, now: Timestamp.seconds("2026-12-24T09:00:00Z")!).check([])
        #expect(inside?.policy == .freezeWindows)
        #expect(inside?.message.contains("year end") == true)
        #expect(PolicyEngine(environment: environment, previous: nil, now: Timestamp.seconds("2027-01-05T00:00:00Z")!).check([]) == nil)
    }
}
