import CairnManifest
import CairnModel
import Foundation
import Git2

/// Writes a new registry: `cairn.yaml` with dev → staging → production and one artifact of each kind.
public enum Scaffold {
    /// What `write` did.
    public struct Outcome: Sendable {
        /// The paths written.
        public var written: [String] = []
        /// The first commit, when the folder was in no repository: one was made (branch `main`) and the registry
        /// committed in it.
        public var firstCommit: ObjectID?
    }

    /// Creates the files under `directory`. Refuses to touch a folder that already has a `cairn.yaml`. When the folder
    /// is in no git repository, makes one there on branch `main` and commits the registry as its first commit, by
    /// `author` (git's identity when configured; the caller passes who is acting). Inside an existing repository
    /// nothing is staged or committed: what else is in that repository is the user's.
    public static func write(to directory: String, author: (Repository) -> Signature) throws -> Outcome {
        let base = URL(fileURLWithPath: directory)
        let manager = FileManager.default
        if manager.fileExists(atPath: base.appendingPathComponent("cairn.yaml").path) {
            throw CairnError.fileExists(path: base.appendingPathComponent("cairn.yaml").path, fix: "\(directory) is a registry already; nothing was written")
        }
        // Check every path before writing any, so a refusal leaves the folder as it was.
        let schemaFiles = ManifestSchemas.sources.keys.map { ("schemas/" + $0, "") }
        for (path, _) in files + schemaFiles where manager.fileExists(atPath: base.appendingPathComponent(path).path) {
            throw CairnError.fileExists(path: base.appendingPathComponent(path).path, fix: "nothing was written")
        }
        try manager.createDirectory(at: base, withIntermediateDirectories: true)
        var written: [String] = []
        for (path, content) in files {
            let url = base.appendingPathComponent(path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url, options: .withoutOverwriting)
            written.append(url.path)
        }
        // The schemas beside the registry, so that editors resolve each file's `$schema` line offline.
        written += try ManifestSchemas.export(to: base.appendingPathComponent("schemas"))
        var outcome = Outcome(written: written)
        if (try? Repository.discover(from: base.path)) == nil {
            let repository = try Repository.create(at: base.path, initialBranch: "main")
            outcome.firstCommit = try repository.commitWorkingTree(message: "cairn registry", author: author(repository))
        }
        return outcome
    }

    static let files: [(String, String)] = [
        (".gitignore", """
        # cairn's deployed-state database (SQLite) lives here; it is state, not source.
        .cairn/

        """),
        ("cairn.yaml", """
        # yaml-language-server: $schema=schemas/cairn.schema.json
        apiVersion: cairn/v1
        kind: Registry
        metadata:
          name: my-registry
        # Who may sign tags (git's allowed-signers format). Approvals count only when signed by someone listed there.
        signers: allowed_signers
        environments:
          - name: dev
          - name: staging
            policy:
              requiredCompliance: [accountable, riskClass, license]
              promoteFromPrevious: true
              gatesMustPass: true
          - name: production
            policy:
              protected: true
              requiredCompliance: [accountable, riskClass, license, dataClassification, pii]
              minApprovals: 1
              promoteFromPrevious: true
              gatesMustPass: true

        """),
        ("allowed_signers", """
        # Who may sign registry tags, in git's allowed-signers format (ssh-keygen(1), ALLOWED SIGNERS): one line a key,
        #   PRINCIPALS [namespaces="git"] KEYTYPE BASE64-KEY
        # where the principal is the signer's git email. For example:
        #   you@example.com namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...

        """),
        ("datasets/eval-set.yaml", """
        # yaml-language-server: $schema=../schemas/dataset.schema.json
        apiVersion: cairn/v1
        kind: DatasetManifest
        metadata:
          name: eval-set
          version: 0.1.0
          owner: my-team
        compliance:
          accountable: you@example.com
          riskClass: minimal
          license: CC-BY-4.0
          dataClassification: internal
          pii: {contains: false}
        spec:
          source: {type: local, uri: data/eval.jsonl}
          files:
            - {path: eval.jsonl, sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, size: 0, records: 0}
          license: CC-BY-4.0

        """),
        ("adapters/example-lora.yaml", """
        # yaml-language-server: $schema=../schemas/adapter.schema.json
        apiVersion: cairn/v1
        kind: Adapter
        metadata:
          name: example-lora
          version: 0.1.0
          owner: my-team
        compliance:
          accountable: you@example.com
          riskClass: minimal
          license: Apache-2.0
        spec:
          baseModel: {id: meta-llama/Llama-3.1-8B-Instruct}
          method: lora
          peft: {r: 8, alpha: 16, dropout: 0.05, targetModules: [q_proj, v_proj]}
          artifact: {uri: file://adapters/example-lora.safetensors, format: safetensors, sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855}
          training:
            datasets: [dataset/eval-set@0.1.0]

        """),
        ("prompts/greeting.yaml", """
        # yaml-language-server: $schema=../schemas/prompt.schema.json
        apiVersion: cairn/v1
        kind: PromptTemplate
        metadata:
          name: greeting
          version: 0.1.0
          owner: my-team
        compliance:
          accountable: you@example.com
          riskClass: minimal
          license: Apache-2.0
        spec:
          type: text
          template: "Write a one-line greeting for {{name}}."
          variables:
            - {name: name, type: string, required: true}
          modelConfig: {provider: openai, model: gpt-4o-mini, temperature: 0.7}

        """),
        ("chains/greeter.yaml", """
        # yaml-language-server: $schema=../schemas/chain.schema.json
        apiVersion: cairn/v1
        kind: Chain
        metadata:
          name: greeter
          version: 0.1.0
          owner: my-team
        compliance:
          accountable: you@example.com
          riskClass: minimal
          license: Apache-2.0
        spec:
          inputs:
            - {name: name, type: string, required: true}
          steps:
            - id: greet
              type: llm
              prompt: prompt/greeting@0.1.0
              adapter: adapter/example-lora@0.1.0
              inputMap: {name: inputs.name}
          outputs:
            greeting: steps.greet.output

        """),
        ("deployments/greeter.yaml", """
        # yaml-language-server: $schema=../schemas/deployment.schema.json
        apiVersion: cairn/v1
        kind: Deployment
        metadata:
          name: greeter
          version: 0.1.0
          owner: my-team
        compliance:
          accountable: you@example.com
          riskClass: minimal
          license: Apache-2.0
        spec:
          target: {chain: chain/greeter@0.1.0}
          adapters: [adapter/example-lora@0.1.0]
          gates:
            - {dataset: dataset/eval-set@0.1.0, metric: accuracy, threshold: 0.8}
          environments: [dev, staging, production]

        """),
    ]
}
