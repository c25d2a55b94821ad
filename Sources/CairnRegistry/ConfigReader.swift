import CairnManifest
import CairnModel

/// Reads `cairn.yaml` into a `RegistryConfig`, with positioned findings.
public enum ConfigReader {
    public static func read(_ bytes: [UInt8], schemas: ManifestSchemas = .bundled) -> (config: RegistryConfig?, findings: [ParsedManifest.Finding]) {
        let parsed: ParsedManifest
        do {
            parsed = try ParsedManifest.load(bytes, isConfig: true, schemas: schemas)
        } catch {
            return (nil, [ParsedManifest.Finding(error.mark, error.message, rule: error.rule)])
        }
        var findings = parsed.findings
        let value = parsed.value
        var environments: [RegistryConfig.Environment] = []
        var seen = Set<String>()
        for (index, item) in (value["environments"]?.arrayValue ?? []).enumerated() {
            guard let name = item["name"]?.stringValue else { continue }
            if !seen.insert(name).inserted {
                findings.append(ParsedManifest.Finding(parsed.node.mark(at: [.key("environments"), .index(index), .key("name")]),
                                                       "environment '\(name)' is defined twice", rule: "config"))
            }
            var policy = RegistryConfig.Policy()
            let raw = item["policy"]
            policy.isProtected = raw?["protected"]?.boolValue ?? false
            policy.requiredCompliance = raw?["requiredCompliance"]?.arrayValue?.compactMap(\.stringValue) ?? []
            policy.minApprovals = raw?["minApprovals"].flatMap { if case .int(let count) = $0 { count } else { nil } } ?? 0
            if let approvals = raw?["approvals"] {
                if raw?["minApprovals"] != nil {
                    findings.append(ParsedManifest.Finding(parsed.node.mark(at: [.key("environments"), .index(index), .key("policy"), .key("approvals")]),
                                                           "give minApprovals or approvals.min, not both", rule: "config"))
                }
                policy.minApprovals = approvals["min"].flatMap { if case .int(let count) = $0 { count } else { nil } } ?? 0
                policy.approvalsExcludeAuthor = approvals["excludeAuthor"]?.boolValue ?? false
            }
            policy.approvers = raw?["approvers"]?.arrayValue?.compactMap(\.stringValue) ?? []
            policy.promoteFromPrevious = raw?["promoteFromPrevious"]?.boolValue ?? false
            policy.gatesMustPass = raw?["gatesMustPass"]?.boolValue ?? false
            policy.autoSync = raw?["sync"]?.stringValue == "auto"
            policy.signedPromotions = raw?["signedPromotions"]?.boolValue ?? false
            policy.promoters = raw?["promoters"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if policy.requiresSignedAssignments, value["signers"]?.stringValue == nil {
                findings.append(ParsedManifest.Finding(parsed.node.mark(at: [.key("environments"), .index(index), .key("policy")]),
                                                       "environment '\(name)' requires signed promotions, but cairn.yaml names no signers file (signers: PATH)",
                                                       rule: "config"))
            }
            policy.forbiddenRiskClasses = raw?["forbiddenRiskClasses"]?.arrayValue?.compactMap(\.stringValue) ?? []
            policy.freezeWindows = (raw?["freezeWindows"]?.arrayValue ?? []).compactMap { window in
                guard let from = window["from"]?.stringValue, let until = window["until"]?.stringValue else { return nil }
                return RegistryConfig.FreezeWindow(from: from, until: until, reason: window["reason"]?.stringValue)
            }
            environments.append(RegistryConfig.Environment(name: name, policy: policy))
        }
        if let url = value["state"]?["url"]?.stringValue, RegistryConfig.stateURLCarriesPassword(url) {
            findings.append(ParsedManifest.Finding(parsed.node.mark(at: [.key("state"), .key("url")]),
                                                   "state.url carries a password, which everyone who reads the repository can read; give it in PGPASSWORD or ~/.pgpass",
                                                   rule: "config"))
        }
        let signers = value["signers"]?.stringValue
        if let signers, !RegistryConfig.isInsideRegistry(signers) {
            findings.append(ParsedManifest.Finding(parsed.node.mark(at: [.key("signers")]),
                                                   "signers must be a path inside the registry folder (no leading '/', no '..')", rule: "config"))
        }
        let config = RegistryConfig(name: value["metadata"]?["name"]?.stringValue, environments: environments,
                                    stateURL: value["state"]?["url"]?.stringValue, signers: signers)
        return (config, findings)
    }
}
