/// Who did something in git, and when (seconds since 1970, with the zone offset in minutes).
public struct Signature: Sendable, Hashable {
    public let name: String
    public let email: String
    public let time: Int64
    public let offsetMinutes: Int32

    public init(name: String, email: String, time: Int64, offsetMinutes: Int32 = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }
}
