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
        var diagnostics: [Diagnostic] = []
        func report(_ artifact: RegistrySnapshot.Artifact, _ mark: SourceMark, _ message: String, rule: String) {
            diagnostics.append(Diagnostic(path: artifact.path, line: mark.line, column: mark.column, message: message, rule: rule))
        }

        // One artifact per KIND/NAME@VERSION.
        var firstPath: [ArtifactVersion: String] = [:]
        var versions: [ArtifactID: [SemVer]] = [:]
        for artifact in artifacts.sorted(by: { $0.path < $1.path }) {
            let key = artifact.summary.versioned
            if let first = firstPath[key] {
                report(artifact, artifact.summary.mark, "\(key) is already defined in \(first); each version lives in one file", rule: "unique-version")
            } else {
                firstPath[key] = artifact.path
                versions[key.id, default: []].append(key.version)
            }
        }
        for version in registered where firstPath[version] == nil {
            versions[version.id, default: []].append(version.version)
        }

        // Every reference resolves to a version at this commit or registered by tag.
        var resolved: [ArtifactVersion: [(ReferenceSite, ArtifactVersion?)]] = [:]
        for artifact in artifacts {
            var edges: [(ReferenceSite, ArtifactVersion?)] = []
            for site in artifact.summary.references {
                guard let reference = ArtifactReference(site.text) else { continue }
                let candidates = versions[reference.id, default: []].filter { reference.requirement.accepts($0) }
                if let best = candidates.max() {
                    edges.append((site, ArtifactVersion(id: reference.id, version: best)))
                } else {
                    let known = versions[reference.id, default: []].sorted().map(\.description)
                    let hint = known.isEmpty ? "no version of \(reference.id) exists at this commit or is registered by tag"
                                             : "known versions: \(known.joined(separator: ", "))"
                    report(artifact, site.mark, "\(site.field): reference '\(site.text)' does not resolve; \(hint)", rule: "reference")
                    edges.append((site, nil))
                }
            }
            resolved[artifact.summary.versioned] = edges
        }

        // Deployments name only environments cairn.yaml defines.
        let environments = Dictionary((config?.environments ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for artifact in artifacts where artifact.summary.id.kind == .deployment {
            for site in artifact.summary.environments where config != nil && environments[site.name] == nil {
                let known = config!.environments.map(\.name).joined(separator: ", ")
                report(artifact, site.mark, "environment '\(site.name)' is not defined in cairn.yaml (defined: \(known))", rule: "environment")
            }
        }

        // Protected environments accept exact pins only, through the whole closure of a deployment.
        let byVersion = Dictionary(artifacts.map { ($0.summary.versioned, $0) }, uniquingKeysWith: { first, _ in first })
        var reported = Set<String>()
        for deployment in artifacts where deployment.summary.id.kind == .deployment {
            let protected = deployment.summary.environments.filter { environments[$0.name]?.policy.isProtected == true }.map(\.name)
            guard let environment = protected.first else { continue }
            var queue = [deployment.summary.versioned]
            var visited = Set(queue)
            while let current = queue.popLast() {
                guard let holder = byVersion[current] else { continue }
                for (site, target) in resolved[current] ?? [] {
                    if let reference = ArtifactReference(site.text), !reference.requirement.isExact,
                       reported.insert("\(holder.path):\(site.mark.line):\(site.mark.column)").inserted {
                        report(holder, site.mark,
                               "\(site.field): '\(site.text)' is a range, but \(deployment.summary.versioned) goes to protected environment '\(environment)', which accepts exact pins only",
                               rule: "protected-pin")
                    }
                    if let target, visited.insert(target).inserted { queue.append(target) }
                }
            }
        }
        return diagnostics
    }
}
