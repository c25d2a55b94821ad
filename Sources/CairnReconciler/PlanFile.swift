import CairnManifest
import CairnModel
import Foundation

/// A saved plan (`cairn plan --out FILE`): the commit, the store serial and the actions, as JSON.
public enum PlanFile {
    public static func encode(_ plan: Plan) -> String {
        JSONValue.object([
            "format": .string("cairn-plan/v1"),
            "environment": .string(plan.environment),
            "commit": .string(plan.commit),
            "serial": .int(plan.serial),
            "summary": .string(plan.summary),
            "problems": .array(plan.problems.map { .object(["kind": .string($0.kind.rawValue), "subject": .string($0.subject), "message": .string($0.message)]) }),
            "actions": .array(plan.actions.map(encode)),
        ]).prettyJSON()
    }

    public static func encode(_ action: PlanAction) -> JSONValue {
        var members: [String: JSONValue] = ["kind": .string(action.kind.rawValue), "artifact": .string(action.id.description)]
        if let from = action.from { members["from"] = .string(from.description) }
        if let to = action.to { members["to"] = .string(to.description) }
        if let declared = action.declared {
            members["digest"] = .string(declared.digest)
            members["commit"] = .string(declared.commit)
            members["tag"] = .string(declared.tag)
        }
        if !action.changedFields.isEmpty { members["changedFields"] = .array(action.changedFields.map(JSONValue.string)) }
        if action.repairsDrift { members["repairsDrift"] = .bool(true) }
        return .object(members)
    }

    /// The largest plan file read: 10,000 actions take about 3 MB.
    public static let maxBytes = 64 << 20

    /// Reads the plan saved at `path`, naming the file in any error.
    public static func read(_ path: String) throws -> Plan {
        let bytes = try InputFile.read(path, limit: maxBytes, what: "plan file")
        do {
            return try decode(Data(bytes))
        } catch {
            throw PlanFileError(message: "\(path): \(error)")
        }
    }

    /// Reads a saved plan back; the declared content is not stored, only what identifies each action.
    public static func decode(_ data: Data) throws -> Plan {
        let value = try JSONValue.parse(json: data)
        guard value["format"]?.stringValue == "cairn-plan/v1", let environment = value["environment"]?.stringValue,
              let commit = value["commit"]?.stringValue, case .int(let serial)? = value["serial"] else {
            throw PlanFileError(message: "not a cairn plan file (cairn-plan/v1)")
        }
        let actions = try (value["actions"]?.arrayValue ?? []).map { item -> PlanAction in
            guard let kind = item["kind"]?.stringValue.flatMap(PlanAction.Kind.init(rawValue:)),
                  let id = item["artifact"]?.stringValue.flatMap(ArtifactID.init) else {
                throw PlanFileError(message: "a plan action is malformed")
            }
            let to = item["to"]?.stringValue.flatMap(SemVer.init)
            let declared = item["digest"]?.stringValue.map { digest in
                DeclaredArtifact(version: ArtifactVersion(id: id, version: to ?? SemVer(major: 0, minor: 0, patch: 0)), digest: digest,
                                 content: "", commit: item["commit"]?.stringValue ?? "", tag: item["tag"]?.stringValue ?? "")
            }
            return PlanAction(kind: kind, id: id, from: item["from"]?.stringValue.flatMap(SemVer.init), to: to, declared: declared,
                              changedFields: item["changedFields"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                              repairsDrift: item["repairsDrift"]?.boolValue ?? false)
        }
        return Plan(environment: environment, commit: commit, serial: serial, actions: actions,
                    problems: (value["problems"]?.arrayValue ?? []).compactMap { item in
                        guard let kind = item["kind"]?.stringValue.flatMap(PlanProblem.Kind.init(rawValue:)), let message = item["message"]?.stringValue else { return nil }
                        return PlanProblem(kind, subject: item["subject"]?.stringValue ?? "", message: message)
                    })
    }

    public struct PlanFileError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
