/// `spec` of a PromptTemplate: a text template or chat messages with `{{variables}}`.
public struct PromptTemplateSpec: Sendable, Hashable, Codable {
    public enum TemplateType: String, Sendable, Hashable, Codable { case text, chat }

    public var type: TemplateType
    public var template: String?
    public var messages: [Message]?
    public var variables: [Variable]?
    public var modelConfig: ModelConfig?
    /// A JSON Schema the model's answer must satisfy.
    public var responseFormat: JSONValue?

    public struct Message: Sendable, Hashable, Codable {
        public var role: String
        public var content: String
        public var name: String?
    }

    public struct Variable: Sendable, Hashable, Codable {
        public var name: String
        public var type: String?
        public var required: Bool?
        public var `default`: JSONValue?
        public var `enum`: [JSONValue]?
        public var maxLength: Int?
        public var description: String?

        /// Variables are required unless they say otherwise.
        public var isRequired: Bool { required ?? true }
    }

    public struct ModelConfig: Sendable, Hashable, Codable {
        public var provider: String
        public var model: String
        public var temperature: Double?
        public var maxTokens: Int?
        public var topP: Double?
        public var stop: [String]?
    }
}

/// `spec` of a Chain: inputs, steps that form a DAG, outputs.
public struct ChainSpec: Sendable, Hashable, Codable {
    public var inputs: [Input]?
    public var steps: [Step]
    public var outputs: [String: String]?

    public struct Input: Sendable, Hashable, Codable {
        public var name: String
        public var type: String?
        public var required: Bool?
        public var description: String?
    }

    public struct Step: Sendable, Hashable, Codable {
        public enum StepType: String, Sendable, Hashable, Codable { case llm, tool, retriever, router }

        public var id: String
        public var type: StepType
        public var prompt: String?
        public var adapter: String?
        public var tool: String?
        public var index: String?
        public var routes: [String: String]?
        public var inputMap: [String: String]?
        public var retries: Int?
        public var timeout: String?
        public var fallback: String?
    }
}

/// `spec` of an Adapter: base model, method, PEFT settings, the weights file, and how it was trained.
public struct AdapterSpec: Sendable, Hashable, Codable {
    public var baseModel: BaseModel
    public var method: String
    public var peft: PEFT?
    public var artifact: File
    public var training: Training?
    public var results: [Result]?

    public struct BaseModel: Sendable, Hashable, Codable {
        public var id: String
        public var revision: String?
    }

    public struct PEFT: Sendable, Hashable, Codable {
        public var r: Int?
        public var alpha: Double?
        public var dropout: Double?
        public var targetModules: [String]?
    }

    public struct File: Sendable, Hashable, Codable {
        public var uri: String
        public var format: String
        public var sha256: String
        public var size: Int?
    }

    public struct Training: Sendable, Hashable, Codable {
        public var datasets: [String]?
        public var codeCommit: String?
        public var epochs: Int?
        public var learningRate: Double?
    }

    public struct Result: Sendable, Hashable, Codable {
        public var metric: String
        public var value: Double
        public var dataset: String?
        public var split: String?
    }
}

/// `spec` of a DatasetManifest: where the data is, its files with digests, splits, licence, PII and retention.
public struct DatasetManifestSpec: Sendable, Hashable, Codable {
    public var source: Source
    public var files: [File]
    public var splits: [Split]?
    public var license: String
    public var pii: PersonalData?
    public var retention: Retention?

    /// Where the data is kept.
    public struct Source: Sendable, Hashable, Codable {
        /// `s3`, `gcs`, `azure`, `http`, `huggingface`, `git` or `local`.
        public var type: String
        public var uri: String
        /// A version of the data at that place (an object version, a dataset revision, a commit).
        public var revision: String?
    }

    /// One file of the dataset, with the digest that pins its content.
    public struct File: Sendable, Hashable, Codable {
        /// Relative to the source.
        public var path: String
        /// Hex SHA-256 of the file's bytes.
        public var sha256: String
        /// In bytes.
        public var size: Int?
        public var records: Int?
    }

    /// A named part of the dataset (train, eval, ...): which of the files, how many records.
    public struct Split: Sendable, Hashable, Codable {
        public var name: String
        /// Paths among `files`.
        public var files: [String]?
        public var records: Int?
    }
}

/// `spec` of a Deployment: what runs (a chain or a prompt), with which adapters, how it rolls out, its gates
/// with their recorded results, and the environments it may go to.
public struct DeploymentSpec: Sendable, Hashable, Codable {
    public var target: Target
    public var adapters: [String]?
    public var runtime: Runtime?
    public var rollout: Rollout?
    public var gates: [Gate]?
    public var environments: [String]

    public struct Target: Sendable, Hashable, Codable {
        public var chain: String?
        public var prompt: String?
    }

    public struct Runtime: Sendable, Hashable, Codable {
        public var cacheTtlSeconds: Int?
        public var fallback: String?
        public var timeout: String?
    }

    public struct Rollout: Sendable, Hashable, Codable {
        public var strategy: String
        public var steps: [Step]?

        public struct Step: Sendable, Hashable, Codable {
            public var weight: Int
            public var pauseMinutes: Int?
        }
    }

    public struct Gate: Sendable, Hashable, Codable {
        public var dataset: String
        public var metric: String
        public var threshold: Double
        /// `atLeast` (default) or `atMost`.
        public var direction: String?
        public var result: Result?

        public struct Result: Sendable, Hashable, Codable {
            public var value: Double
            public var at: String
            public var by: String?
            public var commit: String?
            public var report: String?
        }

        /// True when a result is recorded and meets the threshold in the gate's direction.
        public var passes: Bool {
            guard let value = result?.value else { return false }
            return direction == "atMost" ? value <= threshold : value >= threshold
        }
    }
}
