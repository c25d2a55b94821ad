import CairnModel
import Foundation

/// The environment's policy applied to what a plan would write. Returns the first refusal, or nil.
public enum PolicyCheck {
    /// Why a plan may not be applied: which policy, which artifact, and what to do.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let policy: String
        public let artifact: String
        public let message: String

        public var description: String { "refused by policy '\(policy)'\(artifact.isEmpty ? "" : " for \(artifact)"): \(message)" }
    }

    /// - Parameters:
    ///   - previousLive: versions deployed in the previous environment (for `promoteFromPrevious`), nil when first.
    ///   - skipReasons: the recorded reasons for skipping the order, by the assignment tag's name.
    ///   - now: seconds since 1970, for freeze windows.
    public static func check(_ plan: Plan, documents: [ArtifactID: JSONValue], environment: RegistryConfig.Environment,
                             previousLive: Set<ArtifactVersion>?, previousName: String?, skipReasons: [String: String] = [:],
                             now: Int64) -> Refusal? {
        let policy = environment.policy
        for window in policy.freezeWindows {
            if let from = Timestamp.seconds(window.from), let until = Timestamp.seconds(window.until), now >= from, now <= until {
                return Refusal(policy: "freezeWindows", artifact: "",
                               message: "'\(environment.name)' is frozen from \(window.from) until \(window.until)\(window.reason.map { " (\($0))" } ?? "")")
            }
        }
        for action in plan.actions where action.kind != .prune {
            guard let declared = action.declared else { continue }
            let name = declared.version.description
            let compliance = documents[action.id]?["compliance"]
            for field in policy.requiredCompliance where isMissing(compliance?[field]) {
                return Refusal(policy: "requiredCompliance", artifact: name, message: "compliance.\(field) is required in '\(environment.name)'; add it and bump the version")
            }
            let approvers = Set((compliance?["approvals"]?.arrayValue ?? []).compactMap { $0["by"]?.stringValue })
            if approvers.count < policy.minApprovals {
                return Refusal(policy: "minApprovals", artifact: name, message: "\(approvers.count) distinct approval\(approvers.count == 1 ? "" : "s"), '\(environment.name)' needs \(policy.minApprovals)")
            }
            if let risk = compliance?["riskClass"]?.stringValue, policy.forbiddenRiskClasses.contains(risk) {
                return Refusal(policy: "forbiddenRiskClasses", artifact: name, message: "risk class '\(risk)' may not run in '\(environment.name)'")
            }
            if policy.gatesMustPass, action.id.kind == .deployment {
                for gate in documents[action.id]?["spec"]?["gates"]?.arrayValue ?? [] {
                    let metric = gate["metric"]?.stringValue ?? "?"
                    guard let threshold = gate["threshold"]?.doubleValue, let value = gate["result"]?["value"]?.doubleValue else {
                        return Refusal(policy: "gatesMustPass", artifact: name, message: "gate '\(metric)' has no recorded evaluation result")
                    }
                    let atMost = gate["direction"]?.stringValue == "atMost"
                    if atMost ? value > threshold : value < threshold {
                        return Refusal(policy: "gatesMustPass", artifact: name,
                                       message: "gate '\(metric)' scored \(JSONValue.format(value)), needs \(atMost ? "at most" : "at least") \(JSONValue.format(threshold))")
                    }
                }
            }
            if policy.promoteFromPrevious, let previousLive, let previousName, !declared.tag.hasPrefix("required by"),
               let message = PromotionOrder.refusal(declared.version, entering: environment.name, previous: previousName,
                                                    livePrevious: previousLive.contains(declared.version), skipReason: skipReasons[declared.tag]) {
                return Refusal(policy: "promoteFromPrevious", artifact: name, message: message)
            }
        }
        return nil
    }

    private static func isMissing(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let text)?: text.isEmpty
        case .array(let items)?: items.isEmpty
        default: false
        }
    }
}
