/// `promoteFromPrevious`, defined once: promote, apply and the server's pre-receive hook all ask this type.
///
/// A version is **live** in an environment when it is *deployed* there: the store's row for its artifact holds that
/// version (an assignment that was never applied has not run anywhere, so it cannot vouch for the next environment).
/// A version may enter an environment whose policy has `promoteFromPrevious` when it is live in the environment
/// before it, or when its assignment tag records why the order was skipped (`order skipped: REASON`, written by
/// `cairn promote --skip-order --reason`, kept in git and in the audit trail).
///
/// The pre-receive hook cannot see the deployed state (it lives with the reconciler, not with the git server), so it
/// refuses what the tags alone prove cannot be live: a version that is not even assigned to the previous environment.
/// Whatever it accepts, promote and apply still check against the store.
public enum PromotionOrder {
    /// The field of a tag message that records a skipped order.
    public static let skipField = "order skipped"

    /// The reason recorded in an assignment tag's message for skipping the order, if any.
    public static func skipReason(inTagMessage message: String) -> String? {
        TagMessage(parsing: message)[skipField].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Why `version` may not enter `environment` (whose previous environment is `previous`), nil when it may.
    /// - Parameters:
    ///   - livePrevious: whether the version is live in `previous`: deployed there (promote, apply), or, where the
    ///     store cannot be seen, assigned there (the hook; see the type's documentation).
    ///   - skipReason: the recorded reason for skipping the order, if any.
    public static func refusal(_ version: ArtifactVersion, entering environment: String, previous: String, livePrevious: Bool,
                               skipReason: String?) -> String? {
        if livePrevious || skipReason != nil { return nil }
        return "\(version) is not live in '\(previous)' (not deployed there); apply it there first, or promote with --skip-order --reason"
    }
}
