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

        // Ids as small numbers, each hashed once per artifact, registered version and reference; what follows
        // compares the versions of one id. versions[n]: each version of id n, with the artifact that defines it at
        // this commit (the one with the smallest path), or nil when it is registered by tag only.
        var numbers: [ArtifactID: Int] = [:]
        numbers.reserveCapacity(artifacts.count)
        var versions: [[(version: SemVer, index: Int?)]] = []
        func number(_ id: ArtifactID) -> Int {
            if let known = numbers[id] { return known }
            numbers[id] = versions.count
            versions.append([])
            return versions.count - 1
        }
        var duplicates: [(index: Int, id: Int)] = []
        for index in artifacts.indices {
            let id = number(artifacts[index].summary.id), version = artifacts[index].summary.version
            guard let slot = versions[id].firstIndex(where: { $0.version == version }), let first = versions[id][slot].index else {
                versions[id].append((version, index))
                continue
            }
            if artifacts[index].path < artifacts[first].path {
                versions[id][slot].index = index
                duplicates.append((first, id))
            } else {
                duplicates.append((index, id))
            }
        }
        for (index, id) in duplicates {
            let key = artifacts[index].summary.versioned
            let original = versions[id].first { $0.version == key.version }!.index!
            report(index, artifacts[index].summary.mark, "\(key) is already defined in \(artifacts[original].path); each version lives in one file", rule: "unique-version")
        }
        // A version registered by tag matters only as what a reference may resolve to: only referenced ids get theirs.
        var referenced = [Bool](repeating: false, count: versions.count)
        for artifact in artifacts {
            for site in artifact.summary.references {
                let id = number(site.reference.id)
                if id >= referenced.count { referenced.append(contentsOf: repeatElement(false, count: id - referenced.count + 1)) }
                referenced[id] = true
            }
        }
        for version in registered {
            guard let id = numbers[version.id], referenced[id] else { continue }
            if !versions[id].contains(where: { $0.version == version.version }) { versions[id].append((version.version, nil)) }
        }

        // Every reference resolves to a version at this commit or registered by tag.
        // edges[i][j]: the artifact (at this commit) reference j of artifact i resolves to.
        var edges: [[Int?]] = []
        edges.reserveCapacity(artifacts.count)
        for index in artifacts.indices {
            var out: [Int?] = []
            for site in artifacts[index].summary.references {
                let reference = site.reference
                let number = numbers[reference.id]
                // The newest version the requirement accepts, found without building the list of those it accepts.
                var best: (version: SemVer, index: Int?)?
                for candidate in number.map({ versions[$0] }) ?? [] where reference.requirement.accepts(candidate.version) {
                    if best.map({ $0.version < candidate.version }) ?? true { best = candidate }
                }
                if let best {
                    out.append(best.index)
                } else {
                    let known = (number.map { versions[$0] } ?? []).map(\.version).sorted().map(\.description)
                    let hint = known.isEmpty ? "no version of \(reference.id) exists at this commit or is registered by tag"
                                             : "known versions: \(known.joined(separator: ", "))"
                    report(index, site.mark, "\(site.field): reference '\(site.text)' does not resolve; \(hint)", rule: "reference")
                    out.append(nil)
                }
            }
            edges.append(out)
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

        // Protected environments accept exact pins only, through the whole closure of a deployment (the `protected`
        // policy); each range is reported once, where it is written.
        var reported = Set<[Int]>()
        for deployment in deployments {
            let summary = artifacts[deployment].summary
            guard let environment = summary.environments.lazy.compactMap({ environments[$0.name] }).first(where: \.policy.isProtected) else { continue }
            DependencyWalk.walk(from: [deployment], key: { $0 }) { current in
                let file = artifacts[current].summary
                for (position, site) in file.references.enumerated() {
                    guard let refusal = PolicyEngine.exactPins(site.reference, field: site.field, text: site.text, of: file.versioned, in: environment),
                          reported.insert([current, position]).inserted else { continue }
                    report(current, site.mark, "\(refusal.message) (\(summary.versioned) goes there)", rule: "protected-pin")
                }
                return edges[current].compactMap { $0 }
            }
        }
        return diagnostics
    }
}
