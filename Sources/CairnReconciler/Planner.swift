import CairnManifest
import CairnModel
import CairnState
import Foundation

/// Declared vs deployed → ordered actions. Pure: no git, no store.
public enum Planner {
    /// `deployed` by id (`index`).
    public static func plan(environment: String, commit: String, serial: Int, declared: [ArtifactID: DeclaredArtifact],
                            deployed current: [ArtifactID: StoredArtifact], problems: [PlanProblem]) -> Plan {
        var actions: [PlanAction] = []
        for (id, want) in declared {
            guard let have = current[id] else {
                actions.append(PlanAction(kind: .create, id: id, from: nil, to: want.version.version, declared: want))
                continue
            }
            guard differs(want, have) else { continue }
            actions.append(PlanAction(kind: .update, id: id, from: have.artifact.version.version, to: want.version.version, declared: want,
                                      changedFields: changedFields(from: have.artifact.content, to: want.content), repairsDrift: have.drifted))
        }
        for (id, have) in current where declared[id] == nil {
            actions.append(PlanAction(kind: .prune, id: id, from: have.artifact.version.version, to: nil, declared: nil))
        }
        actions.sort(by: order)
        return Plan(environment: environment, commit: commit, serial: serial, actions: actions, problems: problems)
    }

    /// The declared artifacts a plan would write: not deployed, deployed at another version or content, or drifted.
    public static func changing(declared: [ArtifactID: DeclaredArtifact], deployed current: [ArtifactID: StoredArtifact]) -> [ArtifactID] {
        declared.compactMap { id, want in
            guard let have = current[id] else { return id }
            return differs(want, have) ? id : nil
        }
    }

    /// Deployed rows by artifact (a store has one row per artifact and environment).
    public static func index(_ deployed: [StoredArtifact]) -> [ArtifactID: StoredArtifact] {
        Dictionary(deployed.map { ($0.artifact.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func differs(_ want: DeclaredArtifact, _ have: StoredArtifact) -> Bool {
        !have.artifact.version.version.hasSamePrecedence(as: want.version.version) || have.artifact.digest != want.digest || have.drifted
    }

    /// Dependencies first (datasets, adapters, prompts, chains, deployments); prunes last, dependents first.
    static func order(_ lhs: PlanAction, _ rhs: PlanAction) -> Bool {
        let lhsPrune = lhs.kind == .prune, rhsPrune = rhs.kind == .prune
        if lhsPrune != rhsPrune { return rhsPrune }
        if lhs.id.kindRank != rhs.id.kindRank { return lhsPrune ? rhs.id.kindRank < lhs.id.kindRank : lhs.id.kindRank < rhs.id.kindRank }
        return lhs.id.name < rhs.id.name
    }

    /// The fields (two levels deep, e.g. `spec.template`) whose values differ between two canonical documents.
    static func changedFields(from old: String, to new: String) -> [String] {
        guard let before = try? JSONValue.parse(json: Data(old.utf8)), let after = try? JSONValue.parse(json: Data(new.utf8)) else { return [] }
        var fields: [String] = []
        let top = Set((before.objectValue ?? [:]).keys).union((after.objectValue ?? [:]).keys)
        for key in top.sorted() {
            let left = before[key], right = after[key]
            if left == right { continue }
            if let leftObject = left?.objectValue, let rightObject = right?.objectValue {
                for child in Set(leftObject.keys).union(rightObject.keys).sorted() where leftObject[child] != rightObject[child] {
                    fields.append("\(key).\(child)")
                }
            } else {
                fields.append(key)
            }
        }
        return fields
    }
}
