#!/usr/bin/env python3
"""Appends N hash-chained audit records to a cairn SQLite state file, for `audit verify` benchmarks.

The canonical body and hash follow cairn's AuditRecord.canonicalBody: canonical JSON (sorted keys, no whitespace)
of every field but the hash, SHA-256 in lowercase hex. Usage: gen-audit.py STATE.sqlite N"""
import hashlib, json, sqlite3, sys

path, count = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
row = db.execute("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1").fetchone()
sequence, previous = (row[0], row[1]) if row else (0, "0" * 64)
batch = []
for i in range(count):
    sequence += 1
    record = {"sequence": sequence, "time": 1700000000 + i, "actor": "bench", "action": "apply", "environment": "dev",
              "artifact": f"prompt/p{i % 5000}@1.0.{i % 7}", "digest": hashlib.sha256(str(i).encode()).hexdigest(),
              "commit": "ab" * 20, "tag": f"prompt/p{i % 5000}#dev#1", "planSummary": "1 to create, 0 to update, 0 to prune",
              "compliance": '{"compliance":{"riskClass":"limited"},"owner":"team"}', "previousHash": previous}
    body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(body.encode()).hexdigest()
    batch.append((sequence, record["time"], record["actor"], record["action"], record["environment"], record["artifact"],
                  record["digest"], record["commit"], record["tag"], record["planSummary"], record["compliance"], previous, digest))
    previous = digest
    if len(batch) == 50000:
        db.executemany("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        batch = []
db.executemany("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
db.commit()
print(f"audit trail now ends at #{sequence}")
