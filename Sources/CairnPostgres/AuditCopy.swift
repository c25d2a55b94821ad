import CLibPQ
import CairnModel
import CairnState
import Foundation

/// The audit chain read for verification through libpq (PostgreSQL's own client library) with a binary
/// `COPY (SELECT ...) TO STDOUT`: each row arrives as one buffer whose cells are read in place, so a million records
/// cost what escaping and hashing them costs. postgres-nio has no COPY TO, and its per-cell rows made a million
/// records take 5 s of client CPU; the pooled connections stay postgres-nio's for everything else.
///
/// One connection of its own, opened with the location's parameters (host or socket folder, port, user, password as
/// resolved from the URL, `PGPASSWORD` or `~/.pgpass`, database, sslmode, sslrootcert, connect timeout), used for one
/// read-only repeatable-read transaction and closed.
enum AuditCopy {
    /// Verifies the chain in `tables`: every record hashed (a batch at a time, while the next is read),
    /// numbered without gaps and linked, and its end compared with the head the appenders keep.
    static func verify(_ location: PostgresLocation, audit: String, auditHead: String) throws -> AuditVerification {
        let connection = try Connection(location)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        let head = try connection.row("""
            SELECT coalesce((SELECT max(sequence) FROM \(audit)), 0), h.sequence, h.hash FROM \(auditHead) h
            """)
        guard head.count == 3, let last = Int64(head[0]), let headSequence = Int64(head[1]) else {
            throw StateError.storage("the audit head of \(location.identity) is malformed; the store was edited outside cairn")
        }
        // Batches are hashed and walked in order on a queue of their own while the next one is read, so that the
        // server keeps sending (a reader that stops to hash leaves the socket full and the server idle); at most two
        // wait there.
        nonisolated(unsafe) var verifier = AuditChain.Verifier()
        let walking = DispatchQueue(label: "cairn.audit.verify"), room = DispatchSemaphore(value: 2)
        func hand(_ batch: AuditChain.Batch) {
            room.wait()
            walking.async {
                verifier.walk(batch, intact: AuditChain.intact(batch))
                room.signal()
            }
        }
        var batch = AuditChain.Batch()
        defer { walking.sync {} }
        try connection.copy("""
            COPY (SELECT \(AuditChain.columns) FROM \(audit) WHERE sequence <= \(last) ORDER BY sequence) TO STDOUT (FORMAT binary)
            """) { cells in
            try append(cells, to: &batch)
            if batch.count == 20_000 {
                hand(batch)
                batch = AuditChain.Batch()
            }
        }
        if batch.count > 0 { hand(batch) }
        walking.sync {}
        try connection.execute("COMMIT")
        var firstBad = verifier.firstBad
        if firstBad == nil, headSequence > verifier.lastSequence {
            firstBad = (verifier.lastSequence + 1, "records \(verifier.lastSequence + 1)…\(headSequence) are missing (deleted from the end)")
        } else if firstBad == nil, headSequence != verifier.lastSequence || head[2] != verifier.headHash {
            firstBad = (headSequence, "the chain's head does not match its last record (the head or the last record was edited)")
        }
        return AuditVerification(records: verifier.count, firstBad: firstBad, headHash: verifier.headHash, lastSequence: verifier.lastSequence)
    }

    /// Appends one row (its cells in `AuditChain.columns` order, binary format) to `batch`.
    private static func append(_ cells: [UnsafeRawBufferPointer?], to batch: inout AuditChain.Batch) throws {
        guard cells.count == 13, let sequence = cells[0].flatMap(bigint), let time = cells[1].flatMap(bigint) else {
            throw StateError.storage("an audit row is malformed; the store was edited outside cairn")
        }
        // A NULL cell reads as empty text, as the store's other readers take it.
        func cell(_ index: Int) -> UnsafeRawBufferPointer { cells[index] ?? UnsafeRawBufferPointer(start: nil, count: 0) }
        batch.append(sequence: sequence, body: { out in
            AuditRecord.appendCanonicalBody(to: &out, sequence: sequence, time: time) { field, out in
                JSONValue.appendQuoted(utf8: cell(AuditChain.column(of: field)).bindMemory(to: UInt8.self), to: &out)
            }
        }, hash: { $0.append(contentsOf: cell(12)) }, previousHash: { $0.append(contentsOf: cell(11)) })
    }

    /// A binary-format bigint (8 bytes, network order).
    private static func bigint(_ cell: UnsafeRawBufferPointer) -> Int64? {
        cell.count == 8 ? Int64(bigEndian: cell.loadUnaligned(as: Int64.self)) : nil
    }

    /// One libpq connection; closed when released.
    final class Connection {
        private let connection: OpaquePointer
        private let identity: String

        init(_ location: PostgresLocation) throws {
            identity = location.identity
            if let failure = cairn_pq_load() { throw StateError.storage("cannot verify \(identity): \(String(cString: failure))") }
            var parameters: [(String, String)] = []
            switch location.endpoint {
            case .tcp(let host, let port), .socket(folder: let host, let port): parameters += [("host", host), ("port", String(port))]
            }
            parameters += [("user", location.user), ("dbname", location.database), ("sslmode", location.tls.rawValue),
                           ("connect_timeout", String(location.connectTimeout)), ("application_name", location.applicationName)]
            if let password = location.password { parameters.append(("password", password)) }
            // postgres-nio verifies against the system's roots when no root certificate is named; libpq would look in
            // ~/.postgresql/root.crt: given the system's bundle, both trust the same.
            let systemRoots = "/etc/ssl/certs/ca-certificates.crt"
            if let root = location.rootCertificate {
                parameters.append(("sslrootcert", root))
            } else if location.tls == .verifyCA || location.tls == .verifyFull, FileManager.default.fileExists(atPath: systemRoots) {
                parameters.append(("sslrootcert", systemRoots))
            }
            let keywords = parameters.map { strdup($0.0) } + [nil], values = parameters.map { strdup($0.1) } + [nil]
            defer { (keywords + values).forEach { free($0) } }
            let opened = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywords in
                values.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                    cairn_PQconnectdbParams(keywords.baseAddress, values.baseAddress, 0)
                }
            }
            guard let opened else { throw StateError.storage("cannot connect to \(identity): out of memory") }
            connection = opened
            guard cairn_PQstatus(connection) == CONNECTION_OK else {
                let message = lastError
                cairn_PQfinish(connection)
                throw StateError.storage("cannot connect to \(identity): \(message)")
            }
        }

        deinit { cairn_PQfinish(connection) }

        private var lastError: String {
            String(cString: cairn_PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        private func run(_ sql: String, expecting status: ExecStatusType) throws -> OpaquePointer {
            guard let result = cairn_PQexec(connection, sql) else { throw StateError.storage("\(identity): \(lastError)") }
            guard cairn_PQresultStatus(result) == status else {
                let message = String(cString: cairn_PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
                cairn_PQclear(result)
                throw StateError.storage("verifying the audit trail of \(identity): \(message.isEmpty ? lastError : message)")
            }
            return result
        }

        func execute(_ sql: String) throws { cairn_PQclear(try run(sql, expecting: PGRES_COMMAND_OK)) }

        /// The first row's values as text (empty when there is none).
        func row(_ sql: String) throws -> [String] {
            let result = try run(sql, expecting: PGRES_TUPLES_OK)
            defer { cairn_PQclear(result) }
            guard cairn_PQntuples(result) > 0 else { return [] }
            return (0..<cairn_PQnfields(result)).map { String(cString: cairn_PQgetvalue(result, 0, $0)) }
        }

        /// Runs a binary `COPY ... TO STDOUT` and hands each row's cells (nil for NULL) to `body`, in order. A row
        /// that does not fit its buffer ends the read with an error.
        func copy(_ sql: String, _ body: ([UnsafeRawBufferPointer?]) throws -> Void) throws {
            cairn_PQclear(try run(sql, expecting: PGRES_COPY_OUT))
            var cells: [UnsafeRawBufferPointer?] = []
            var headerRead = false
            var failure: (any Error)?
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let length = cairn_PQgetCopyData(connection, &buffer, 0)
                guard length > 0, let buffer else {
                    if length == -2 { failure = failure ?? StateError.storage("verifying the audit trail of \(identity): \(lastError)") }
                    break
                }
                defer { cairn_PQfreemem(buffer) }
                // Once a row failed, the rest of the stream is drained so that the connection ends cleanly.
                guard failure == nil else { continue }
                do {
                    var data = UnsafeRawBufferPointer(start: buffer, count: Int(length))
                    if !headerRead {
                        data = try Self.skipHeader(data)
                        headerRead = true
                    }
                    guard try Self.cells(of: data, into: &cells) else { continue }  // the trailer
                    try body(cells)
                } catch {
                    failure = error
                }
            }
            while let result = cairn_PQgetResult(connection) {
                defer { cairn_PQclear(result) }
                if failure == nil, cairn_PQresultStatus(result) != PGRES_COMMAND_OK {
                    failure = StateError.storage("verifying the audit trail of \(identity): \(String(cString: cairn_PQresultErrorMessage(result)))")
                }
            }
            if let failure { throw failure }
        }

        static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

        /// The data after the binary COPY header (signature, flags, extension area).
        static func skipHeader(_ data: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
            guard data.count >= 19, data.prefix(11).elementsEqual(signature) else { throw malformed }
            let extensionLength = Int(UInt32(bigEndian: data.loadUnaligned(fromByteOffset: 15, as: UInt32.self)))
            guard extensionLength <= data.count - 19 else { throw malformed }
            return UnsafeRawBufferPointer(rebasing: data[(19 + extensionLength)...])
        }

        /// One row's cells, bounds-checked; false for the trailer (a field count of -1).
        static func cells(of data: UnsafeRawBufferPointer, into cells: inout [UnsafeRawBufferPointer?]) throws -> Bool {
            guard data.count >= 2 else { throw malformed }
            let count = Int16(bigEndian: data.loadUnaligned(as: Int16.self))
            if count == -1 { return false }
            cells.removeAll(keepingCapacity: true)
            var offset = 2
            for _ in 0..<max(0, Int(count)) {
                guard data.count - offset >= 4 else { throw malformed }
                let length = Int(Int32(bigEndian: data.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
                if length < 0 {
                    cells.append(nil)
                    continue
                }
                guard length <= data.count - offset else { throw malformed }
                cells.append(UnsafeRawBufferPointer(rebasing: data[offset..<offset + length]))
                offset += length
            }
            guard offset == data.count else { throw malformed }
            return true
        }

        static var malformed: StateError { StateError.storage("the server's COPY data for the audit trail is malformed") }
    }
}
