import Foundation

/// RFC 3339 times as cairn reads and prints them (policies, audit queries, reports, status).
public enum Timestamp {
    /// Seconds since 1970 of an RFC 3339 date-time (with or without fractional seconds) or a date alone (midnight
    /// UTC); nil for anything else.
    public static func seconds(_ text: String) -> Int64? {
        let options: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ]
        for option in options {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = option
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        }
        return nil
    }

    /// `2026-03-03T12:00:00Z`.
    public static func text(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
