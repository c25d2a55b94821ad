import Foundation
import Git2

/// Who is acting, for audit records and the `actor:` line of the tags cairn writes: `--actor`, else `CAIRN_ACTOR`,
/// else the CI's own identity (GitHub Actions' `GITHUB_ACTOR`, GitLab CI's `GITLAB_USER_LOGIN`), else git's
/// `user.name` (the tags' tagger is this name, with git's `user.email`), else the login name, else "unknown".
public enum Identity {
    public static func actor(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                             repository: Repository?) -> String {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        if let option = nonEmpty(option) { return option }
        if let actor = nonEmpty(environment["CAIRN_ACTOR"]) { return actor }
        if environment["GITHUB_ACTIONS"] == "true", let actor = nonEmpty(environment["GITHUB_ACTOR"]) { return actor }
        if environment["GITLAB_CI"] == "true", let actor = nonEmpty(environment["GITLAB_USER_LOGIN"]) { return actor }
        if let repository, let name = nonEmpty(try? repository.configValue("user.name")) { return name }
        if let user = nonEmpty(environment["USER"]) ?? nonEmpty(environment["LOGNAME"]) { return user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "unknown"
    }
}
