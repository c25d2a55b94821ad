import Foundation

/// Edits a SQLite file behind the store's back (drift and tampering tests), with the sqlite3 shell when present
/// or Python's sqlite3 module otherwise.
public enum TestSQL {
    public static func execute(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path, sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestRepositoryError(message: "sqlite edit failed: \(sql)") }
    }
}
