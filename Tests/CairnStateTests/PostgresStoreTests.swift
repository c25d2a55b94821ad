import CairnModel
import CairnPostgres
import CairnState
import Foundation
import Testing

@Suite("PostgreSQL URLs: libpq's defaults, passwords from the URL, PGPASSWORD or ~/.pgpass, sslmode, schema")
struct PostgresLocationTests {
    @Test("a full URL, and what libpq's variables fill in when it leaves things out")
    func parsing() throws {
        let full = try PostgresLocation(url: "postgres://ann:s%3Acret@db.example:6543/reg?sslmode=require&schema=team_a", environment: [:], home: "/nonexistent")
        #expect(full.endpoint == .tcp(host: "db.example", port: 6543) && full.user == "ann" && full.password == "s:cret")
        #expect(full.database == "reg" && full.schema == "team_a" && full.tls == .require)
        #expect(full.identity == "postgres://ann@db.example:6543/reg?schema=team_a")
        let bare = try PostgresLocation(url: "postgresql://", environment: ["PGHOST": "pg", "PGPORT": "5433", "PGUSER": "bob", "PGSSLMODE": "disable"], home: "/nonexistent")
        #expect(bare.endpoint == .tcp(host: "pg", port: 5433) && bare.user == "bob" && bare.database == "bob" && bare.tls == .disable && bare.schema == "cairn")
        let socket = try PostgresLocation(url: "postgres://cairn@%2Ftmp%2Fpg/x", environment: [:], home: "/nonexistent")
        #expect(socket.endpoint == .socket(folder: "/tmp/pg", port: 5432))
        let hostParameter = try PostgresLocation(url: "postgres:///x?host=/run/pg&port=7000", environment: ["USER": "me"], home: "/nonexistent")
        #expect(hostParameter.endpoint == .socket(folder: "/run/pg", port: 7000) && hostParameter.user == "me")
        let ipv6 = try PostgresLocation(url: "postgres://u@[::1]:5000/d", environment: [:], home: "/nonexistent")
        #expect(ipv6.endpoint == .tcp(host: "::1", port: 5000) && ipv6.identity.hasPrefix("postgres://u@[::1]:5000/"))
    }

    @Test("bad URLs are refused with the reason", arguments: [
        ("postgres://h:99999/d", "port"), ("postgres://h/d?sslmode=sometimes", "sslmode"), ("postgres://h/d?schema=Bad-Name", "schema"),
        ("postgres://h/d?shema=x", "shema"), ("mysql://h/d", "not a postgres:// URL"), ("postgres://h/d?schema=x;drop", "schema"),
    ])
    func refusals(url: String, reason: String) {
        #expect {
            _ = try PostgresLocation(url: url, environment: [:], home: "/nonexistent")
        } throws: { "\($0)".contains(reason) }
    }

    @Test("the password: the URL's, else PGPASSWORD, else the first matching ~/.pgpass line (ignored when others can read it)")
    func passwords() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-pgpass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let file = home + "/.pgpass"
        try "# comment\nother:*:*:*:wrong\ndb:5432:reg:ann:fr\\:om-file\n*:*:*:ann:fallback\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let url = "postgres://ann@db/reg"
        #expect(try PostgresLocation(url: url, environment: [:], home: home).password == "fr:om-file")
        #expect(try PostgresLocation(url: "postgres://ann@elsewhere/reg", environment: [:], home: home).password == "fallback")
        #expect(try PostgresLocation(url: url, environment: ["PGPASSWORD": "env"], home: home).password == "env")
        #expect(try PostgresLocation(url: "postgres://ann:inline@db/reg", environment: ["PGPASSWORD": "env"], home: home).password == "inline")
        chmod(file, 0o644)
        #expect(try PostgresLocation(url: url, environment: [:], home: home).password == nil)
        #expect(RegistryConfig.stateURLCarriesPassword("postgres://ann:x@db/reg") && RegistryConfig.stateURLCarriesPassword("postgres://db/reg?sslmode=require&password=x"))
        #expect(!RegistryConfig.stateURLCarriesPassword(url) && !RegistryConfig.stateURLCarriesPassword("postgres://db/reg?x=a:b@c"))
        #expect(PostgresLocation.redacted("postgres://ann:secret@db/reg?password=also") == "postgres://ann:***@db/reg?password=***")
    }
}

/// What only a server store does: migrations, refusals of foreign or newer schemas, a lost connection, the head.
@Suite("PostgreSQL store: migrations, refusals, a server restart, the chain's head", .enabled(if: StoreBackend.available.contains(.postgres)))
struct PostgresStoreTests {
    @Test("migrations are recorded once; a store migrated by a newer cairn is refused with a clear message")
    func migrations() async throws {
        let made = try await StoreBackend.postgres.make()
        _ = try await made.reopen()
        try made.raw("INSERT INTO cairn_migrations (version, name, applied_by) VALUES (99, 'from the future', 'cairn 9.0.0')")
        await #expect {
            _ = try await made.reopen()
        } throws: { error in
            "\(error)".contains("migrated by a newer cairn (schema version 99; this cairn knows versions up to 3)")
        }
        try made.raw("DELETE FROM cairn_migrations WHERE version = 99")
        _ = try await made.reopen()
    }

    @Test("a schema holding someone else's tables, or cairn's with a trigger dropped, is refused")
    func foreignAndDamaged() async throws {
        let url = try TestPostgres.freshSchemaURL()
        let schema = TestPostgres.split(url).1!
        try TestPostgres.psql(TestPostgres.split(url).0, "CREATE SCHEMA \(schema); CREATE TABLE \(schema).notes (text text)")
        await #expect { _ = try await PostgresStateStore.open(PostgresLocation(url: url)) } throws: { "\($0)".contains("not cairn's") }
        let made = try await StoreBackend.postgres.make()
        try made.raw("DROP TRIGGER deployed_update ON deployed")
        await #expect { _ = try await made.reopen() } throws: { "\($0)".contains("trigger deployed_update missing") }
    }

    @Test("records deleted from the end of the chain are caught by the head")
    func truncatedTail() async throws {
        let made = try await StoreBackend.postgres.make()
        try await made.store.appendAudit((1...6).map { StateStoreConformanceTests.audit(.apply, "prompt/p\($0)@1.0.0") })
        try made.raw("DELETE FROM audit WHERE sequence > 4")
        let verification = try await made.store.verifyAudit()
        #expect(verification.firstBad?.sequence == 5 && verification.firstBad?.reason.contains("5…6 are missing") == true)
    }

    @Test("over the Unix socket without a password; a wrong password or a closed port is a clear error")
    func connecting() async throws {
        let base = try TestPostgres.baseURL()
        let port = base.split(separator: ":").last!.split(separator: "/").first!
        let socket = try #require(ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_SOCKET"])
        let viaSocket = try await PostgresStateStore.open(PostgresLocation(url: "postgres://cairn@/cairn_test?host=\(socket)&port=\(port)&schema=socket_test", environment: [:]))
        #expect(try await viaSocket.serial(environment: "dev") == 0)
        let wrong = base.replacingOccurrences(of: #"cairn:[^@]*@"#, with: "cairn:wrong@", options: .regularExpression)
        await #expect { _ = try await PostgresStateStore.open(PostgresLocation(url: wrong, environment: [:])) } throws: {
            "\($0)".contains("password authentication failed")
        }
        // A closed port is refused, not waited on: with a 60 s connect timeout the answer comes long before it (the
        // bound is loose because the suite runs many tests at once).
        let started = Date()
        await #expect { _ = try await PostgresStateStore.open(PostgresLocation(url: "postgres://cairn:x@127.0.0.1:1/none?connect_timeout=60", environment: [:])) } throws: {
            "\($0)".contains("cannot connect to postgres://cairn@127.0.0.1:1/none")
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }
}

@Suite("PostgreSQL over TLS: sslmode as libpq reads it", .enabled(if: ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_CA"] != nil))
struct PostgresTLSTests {
    /// Whether the server sees a TLS connection from `application_name`.
    static func usesTLS(_ application: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", try TestPostgres.baseURL(), "-At", "-c",
                             "SELECT bool_or(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '\(application)'"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "t"
    }

    func open(_ parameters: String, host: String = "127.0.0.1") async throws -> (PostgresStateStore, String) {
        let application = "tls-" + UUID().uuidString.prefix(8).lowercased()
        let url = try TestPostgres.baseURL().replacingOccurrences(of: "@127.0.0.1:", with: "@\(host):")
            + "?schema=tls_test&application_name=\(application)&" + parameters
        let store = try await PostgresStateStore.open(PostgresLocation(url: url, environment: [:]))
        _ = try await store.serial(environment: "dev")
        return (store, application)
    }

    @Test("require and prefer use TLS; disable does not; verify-full checks the chain and the host name")
    func modes() async throws {
        let ca = try #require(ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_CA"])
        for mode in ["require", "prefer", "verify-ca&sslrootcert=\(ca)", "verify-full&sslrootcert=\(ca)"] {
            let (store, application) = try await open("sslmode=" + mode)
            #expect(try Self.usesTLS(application), "sslmode=\(mode)")
            // audit verify reads the chain on a libpq connection of its own, with the same sslmode and root.
            #expect(try await store.verifyAudit().firstBad == nil, "sslmode=\(mode)")
            await store.close()
        }
        let (plain, application) = try await open("sslmode=disable")
        #expect(try !Self.usesTLS(application))
        await plain.close()
        let (named, _) = try await open("sslmode=verify-full&sslrootcert=\(ca)", host: "localhost")
        #expect(try await named.verifyAudit().firstBad == nil)
        await named.close()
        // The system's roots do not know the test CA: the certificate is refused, nothing is sent in the clear.
        await #expect { _ = try await open("sslmode=verify-full") } throws: { "\($0)".contains("cannot connect") || "\($0)".contains("certificate") }
    }
}
