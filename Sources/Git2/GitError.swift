internal import CLibGit2

/// A failed libgit2 call: which C function failed, its return code and libgit2's own message.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The libgit2 function that failed, e.g. `git_revparse_single`.
    public let function: String
    /// The negative return code (`GIT_ENOTFOUND` is -3).
    public let code: Int32
    /// libgit2's message for the last error on this thread, read right after the call.
    public let message: String

    public var description: String { "\(function): \(message)" }

    /// True when libgit2 reported `GIT_ENOTFOUND`.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    /// Reads the thread's last libgit2 error; must run right after the failing call.
    static func last(_ function: String, code: Int32) -> GitError {
        var message = "error \(code)"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text).trimmingCharacters(in: "\n")
        }
        return GitError(function: function, code: code, message: message)
    }
}

/// Calls a libgit2 function and turns a negative result into a `GitError` naming it.
@discardableResult
func check(_ function: String, _ result: Int32) throws -> Int32 {
    if result < 0 { throw GitError.last(function, code: result) }
    return result
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
