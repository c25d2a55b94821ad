/// Audit records as JSON and CSV rows, one definition of the field list.
public enum AuditJSON {
    public static let fields = ["sequence", "time", "actor", "action", "environment", "artifact", "digest", "commit", "tag",
                         "planSummary", "compliance", "previousHash", "hash"]

    public static func row(_ record: AuditRecord) -> [String] {
        [String(record.sequence), Timestamp.text(record.time), record.actor, record.action, record.environment, record.artifact,
         record.digest, record.commit, record.tag, record.planSummary, record.compliance, record.previousHash, record.hash]
    }

    public static func value(_ record: AuditRecord) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: zip(fields, row(record).map(JSONValue.string))))
    }
}
