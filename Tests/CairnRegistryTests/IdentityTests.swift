import CairnRegistry
import CairnTestSupport
import Git2
import Testing

@Suite("Who is acting")
struct IdentityTests {
    @Test("--actor, then CAIRN_ACTOR, then the CI's identity, then git's user.name, then the login name")
    func precedence() throws {
        let repo = try TestRepository()
        let repository = try Repository.discover(from: repo.path)
        _ = try repo.git(["config", "user.name", "Jane Doe"])
        #expect(Identity.actor(option: "ops", environment: ["CAIRN_ACTOR": "x"], repository: repository) == "ops")
        #expect(Identity.actor(option: nil, environment: ["CAIRN_ACTOR": "x", "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo"], repository: repository) == "x")
        #expect(Identity.actor(option: nil, environment: ["GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo", "USER": "u"], repository: repository) == "octo")
        #expect(Identity.actor(option: nil, environment: ["GITHUB_ACTOR": "octo", "USER": "u"], repository: repository) == "Jane Doe")
        #expect(Identity.actor(option: nil, environment: ["GITLAB_CI": "true", "GITLAB_USER_LOGIN": "gl", "USER": "u"], repository: repository) == "gl")
        #expect(Identity.actor(option: nil, environment: ["USER": "u"], repository: repository) == "Jane Doe")
        #expect(Identity.actor(option: nil, environment: ["USER": "u"], repository: nil) == "u")
        #expect(Identity.actor(option: "  ", environment: ["CAIRN_ACTOR": ""], repository: repository) == "Jane Doe")
    }
}
