import CairnState
import Foundation
import PostgresNIO

/// cairn's tables in one PostgreSQL schema, and the versioned migrations that make them.
///
/// Migrations run on first use, in one transaction under a transaction-scoped advisory lock whose key includes the
/// schema's name (two registries in two schemas of one database never wait on each other's key, and no session lock
/// is left behind a pooler). Each is recorded in `cairn_migrations` with when and by which cairn; a store whose
/// highest recorded version is newer than this cairn knows is refused.
enum PostgresSchema {
    struct Migration: Sendable {
        let version: Int
        let name: String
        /// The statements, one each (the extended protocol takes one per query).
        let statements: @Sendable (String) -> [String]
    }

    /// The migrations in order; a new one is appended, never edited.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "deployed rows, serials, audit chain, leases, deployed marks") { schema in
            [
                """
                CREATE TABLE \(schema).environment (name text PRIMARY KEY, serial bigint NOT NULL)
                """,
                """
                CREATE TABLE \(schema).deployed (
                    environment text NOT NULL, kind text NOT NULL, name text NOT NULL, version text NOT NULL,
                    digest text NOT NULL, content text NOT NULL, source_commit text NOT NULL, tag text NOT NULL,
                    deployed_by text NOT NULL, deployed_at bigint NOT NULL,
                    PRIMARY KEY (environment, kind, name))
                """,
                """
                CREATE TABLE \(schema).audit (
                    sequence bigint PRIMARY KEY, time bigint NOT NULL, actor text NOT NULL,
                    action text NOT NULL CHECK (length(action) > 0), environment text NOT NULL,
                    artifact text NOT NULL, digest text NOT NULL, source_commit text NOT NULL, tag text NOT NULL,
                    plan_summary text NOT NULL, compliance text NOT NULL, previous_hash text NOT NULL, hash text NOT NULL)
                """,
                """
                CREATE INDEX audit_environment ON \(schema).audit (environment, time)
                """,
                """
                CREATE TABLE \(schema).audit_head (
                    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), sequence bigint NOT NULL, hash text NOT NULL)
                """,
                """
                INSERT INTO \(schema).audit_head (sequence, hash) VALUES (0, '\(AuditChain.genesis)')
                """,
                """
                CREATE TABLE \(schema).lease (
                    environment text PRIMARY KEY, id text NOT NULL, holder text NOT NULL, expires_at bigint NOT NULL,
                    host text NOT NULL, pid integer NOT NULL, fence bigint NOT NULL)
                """,
                """
                CREATE TABLE \(schema).deployed_mark (environment text PRIMARY KEY, mark bytea NOT NULL)
                """,
                // Every change to deployed rows, by cairn or by hand, draws a new random mark for each environment it touched.
                """
                CREATE FUNCTION \(schema).cairn_mark_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO \(schema).deployed_mark (environment, mark)
                        SELECT environment, uuid_send(gen_random_uuid()) FROM (SELECT DISTINCT environment FROM changed_rows) AS touched
                        ON CONFLICT (environment) DO UPDATE SET mark = EXCLUDED.mark;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE FUNCTION \(schema).cairn_mark_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO \(schema).deployed_mark (environment, mark)
                        SELECT environment, uuid_send(gen_random_uuid())
                        FROM (SELECT environment FROM old_rows UNION SELECT environment FROM changed_rows) AS touched
                        ON CONFLICT (environment) DO UPDATE SET mark = EXCLUDED.mark;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE FUNCTION \(schema).cairn_mark_all() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE \(schema).deployed_mark SET mark = uuid_send(gen_random_uuid());
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER deployed_insert AFTER INSERT ON \(schema).deployed REFERENCING NEW TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema).cairn_mark_changed()
                """,
                """
                CREATE TRIGGER deployed_update AFTER UPDATE ON \(schema).deployed REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema).cairn_mark_updated()
                """,
                """
                CREATE TRIGGER deployed_delete AFTER DELETE ON \(schema).deployed REFERENCING OLD TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema).cairn_mark_changed()
                """,
                """
                CREATE TRIGGER deployed_truncate AFTER TRUNCATE ON \(schema).deployed
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema).cairn_mark_all()
                """,
            ]
        },
        Migration(version: 2, name: "tag sightings: when cairn first saw each tag object") { schema in
            ["CREATE TABLE \(schema).tag_sighting (object text PRIMARY KEY, first_seen bigint NOT NULL)"]
        },
        Migration(version: 3, name: "reconciliation history shared by the agents") { schema in
            [
                """
                CREATE TABLE \(schema).reconciliation (
                    id bigserial PRIMARY KEY, environment text NOT NULL, revision text NOT NULL, declared_digest text NOT NULL,
                    result text NOT NULL, changes integer NOT NULL, message text, milliseconds integer NOT NULL, at bigint NOT NULL,
                    first_at bigint NOT NULL, runs integer NOT NULL, agent text NOT NULL)
                """,
                "CREATE INDEX reconciliation_environment ON \(schema).reconciliation (environment, id)",
            ]
        },
    ]

    static var latest: Int { migrations.last?.version ?? 0 }

    /// The tables and triggers every query relies on.
    static let expected: Set = ["table environment", "table deployed", "table audit", "table audit_head", "table lease", "table deployed_mark",
                                "table reconciliation",
                                "trigger deployed_insert", "trigger deployed_update", "trigger deployed_delete", "trigger deployed_truncate"]

    /// Checks the server and the schema, and migrates it to the latest version.
    static func prepare(_ connection: PostgresConnection, location: PostgresLocation, appliedBy: String) async throws {
        let logger = PostgresConnectionSlot.logger
        let schema = location.schema
        for try await row in try await connection.query("SELECT current_setting('server_encoding')", logger: logger) {
            let encoding = try row.decode(String.self)
            guard encoding == "UTF8" else {
                throw StateError.storage("the database \(location.database) is encoded \(encoding); cairn needs UTF8 (createdb -E UTF8)")
            }
        }
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("cairn migrate " + schema), 0))", logger: logger)
            var schemaExists = false
            var tables: [String] = []
            for try await row in try await connection.query("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = \(schema) AND c.relkind IN ('r', 'p')
                UNION ALL SELECT '' FROM pg_namespace WHERE nspname = \(schema)
                """, logger: logger) {
                let name = try row.decode(String.self)
                if name.isEmpty { schemaExists = true } else { tables.append(name) }
            }
            if !schemaExists {
                try await connection.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
            } else if !tables.isEmpty && !tables.contains("cairn_migrations") {
                throw StateError.storage("the schema '\(schema)' of \(location.database) holds tables that are not cairn's (\(tables.sorted().prefix(5).joined(separator: ", "))); name another with ?schema=NAME")
            }
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: schema).cairn_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)
                """, logger: logger)
            var applied = 0
            for try await row in try await connection.query("SELECT coalesce(max(version), 0) FROM \(unescaped: schema).cairn_migrations", logger: logger) {
                applied = Int(try row.decode(Int32.self))
            }
            if applied > latest { throw StateError.newerSchema(store: location.identity, found: applied, known: latest) }
            for migration in migrations where migration.version > applied {
                for statement in migration.statements(schema) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO \(unescaped: schema).cairn_migrations (version, name, applied_by)
                    VALUES (\(Int32(migration.version)), \(migration.name), \(appliedBy))
                    """, logger: logger)
            }
            try await checkObjects(connection, location: location)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// A schema with a table or trigger dropped behind cairn's back is refused by every command alike.
    private static func checkObjects(_ connection: PostgresConnection, location: PostgresLocation) async throws {
        var present: Set<String> = []
        for try await row in try await connection.query("""
            SELECT 'table ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = \(location.schema)
            UNION ALL
            SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(location.schema) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
            """, logger: PostgresConnectionSlot.logger) {
            present.insert(try row.decode(String.self))
        }
        let missing = expected.subtracting(present).sorted()
        guard missing.isEmpty else {
            throw StateError.storage("\(location.identity) is damaged: \(missing.joined(separator: ", ")) missing or disabled; restore it from a backup")
        }
    }
}
