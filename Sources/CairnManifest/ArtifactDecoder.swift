import CairnModel
import Foundation

/// Turns a schema-valid document into the typed `Artifact` model.
public enum ArtifactDecoder {
    /// Decodes `value` as an artifact of `kind`; fails (with Foundation's decoding error) when the document
    /// does not have the shape the schema promises, which only happens for documents that failed validation.
    public static func decode(_ value: JSONValue, kind: ArtifactKind) throws -> Artifact {
        let data = Data(value.canonicalJSON.utf8)
        let envelope = try JSONDecoder().decode(Envelope.self, from: data)
        let specData = Data((value["spec"] ?? .null).canonicalJSON.utf8)
        let decoder = JSONDecoder()
        let spec: Artifact.Spec
        switch kind {
        case .promptTemplate: spec = .promptTemplate(try decoder.decode(PromptTemplateSpec.self, from: specData))
        case .chain: spec = .chain(try decoder.decode(ChainSpec.self, from: specData))
        case .adapter: spec = .adapter(try decoder.decode(AdapterSpec.self, from: specData))
        case .datasetManifest: spec = .datasetManifest(try decoder.decode(DatasetManifestSpec.self, from: specData))
        case .deployment: spec = .deployment(try decoder.decode(DeploymentSpec.self, from: specData))
        }
        return Artifact(apiVersion: envelope.apiVersion, metadata: envelope.metadata, compliance: envelope.compliance, spec: spec)
    }

    private struct Envelope: Decodable {
        var apiVersion: String
        var metadata: Metadata
        var compliance: Compliance
    }
}
