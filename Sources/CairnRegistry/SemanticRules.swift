import CairnManifest
import CairnModel

/// The rules that need the whole registry: unique versions, references that resolve, environments that exist,
/// and exact pins for everything a protected environment would run.
struct SemanticRules {
    let artifacts: [RegistrySnapshot.Artifact]
    let config: RegistryConfig?
    /// Versions registered by tag (they resolve even when their file is gone from this commit).
    let registered: Set<ArtifactVersion>

    func check() -> [Diagnostic] {
        // Works on indices into `artifacts`: copying artifact values costs more than the rules themselves.
        var diagnostics: [Diagnostic] = []
        func report(_ index: Int, _ mark: SourceMark, _ message: String, rule: String) {
            diagnostics.append(Diagnostic(path: artifacts[index].path, line: mark.line, column: mark.column, message: message, rule: rule))
        }

        // One artifact per KIND/NAME@VERSION; the file with the smallest path is the original (no sort needed).
        var firstIndex: [ArtifactVersion: Int] = [:]
        firstIndex.reserveCapacity(artifacts.count)
        var duplicates: [Int] = []
        for index in artifacts.indices {
            let key = artifacts[index].summary.versioned
            if let first = firstIndex[key] {
                if artifacts[index].path < artifacts[first].path {
                    firstIndex[key] = index
                    duplicates.append(first)
                } else {
                    duplicates.append(index)
                }
            } else {
                firstIndex[key] = index
            }
        }
        for index in duplicates {
            let key = artifacts[index].summary.versioned
            report(index, artifacts[index].summary.mark, "\(key) is already defined in \(artifacts[firstIndex[key]!].path); each version lives in one file", rule: "unique-version")
        }
        var versions: [ArtifactID: [SemVer]] = [:]
        for key in firstIndex.keys { versions[key.id, default: []].append(key.version) }
        for version in registered where firstIndex[version] == nil {
            versions[version.id, default: []].append(version.version)
        }

        // Every reference resolves to a version at this commit or registered by tag.
        // resolved[i][j]: the version reference j of artifact i resolves to, and whether it was a range.
        var resolved: [[(target: ArtifactVersion?, isRange: Bool)]] = []
        resolved.reserveCapacity(artifacts.count)
        for index in artifacts.indices {
            var edges: [(target: ArtifactVersion?, isRange: Bool)] = []
            for site in artifacts[index].summary.references {
                let reference = site.reference
                let candidates = versions[reference.id, default: []]
                if let best = candidates.filter({ reference.requirement.accepts($0) }).max() {
                    edges.append((ArtifactVersion(id: reference.id, version: best), !reference.requirement.isExact))
                } else {
                    let known = candidates.sorted().map(\.description)
                    let hint = known.isEmpty ? "no version of \(reference.id) exists at this commit or is registered by tag"
                                             : "known versions: \(known.joined(separator: ", "))"
                    report(index, site.mark, "\(site.field): reference '\(site.text)' does not resolve; \(hint)", rule: "reference")
                    edges.append((nil, !reference.requirement.isExact))
                }
            }
            resolved.append(edges)
        }

        // Deployments name only environments cairn.yaml defines.
        let environments = Dictionary((config?.environments ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let deployments = artifacts.indices.filter { artifacts[$0].summary.id.kind == .deployment }
        if let config {
            for index in deployments {
                for site in artifacts[index].summary.environments where environments[site.name] == nil {
                    let known = config.environments.map(\.name).joined(separator: ", ")
                    report(index, site.mark, "environment '\(site.name)' is not defined in cairn.yaml (defined: \(known))", rule: "environment")
                }
            }
        }

        // Protected environments accept exact pins only, through the whole closure of a deployment.
        var reported = Set<[Int]>()
        for deployment in deployments {
            let summary = artifacts[deployment].summary
            guard let environment = summary.environments.first(where: { environments[$0.name]?.policy.isProtected == true })?.name else { continue }
            var queue = [deployment]
            var visited: Set = [deployment]
            while let current = queue.popLast() {
                for (position, edge) in resolved[current].enumerated() {
                    if edge.isRange, reported.insert([current, position]).inserted {
                        let site = artifacts[current].summary.references[position]
                        report(current, site.mark,
                               "\(site.field): '\(site.text)' is a range, but \(summary.versioned) goes to protected environment '\(environment)', which accepts exact pins only",
                               rule: "protected-pin")
                    }
                    if let target = edge.target, let next = firstIndex[target], visited.insert(next).inserted { queue.append(next) }
                }
            }
        }
        return diagnostics
    }
}
