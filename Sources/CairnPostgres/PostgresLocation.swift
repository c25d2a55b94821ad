import CairnModel
import Foundation

/// A PostgreSQL state store's address, read from a libpq-style URL:
/// `postgres://[USER[:PASSWORD]@][HOST][:PORT][/DATABASE][?sslmode=MODE&schema=NAME&host=/SOCKET/FOLDER&...]`.
///
/// What the URL leaves out comes from libpq's variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`),
/// then libpq's defaults (the Unix socket in `/var/run/postgresql`, port 5432, the login name). The password is the
/// URL's, else `PGPASSWORD`, else the first matching line of `~/.pgpass` (or `PGPASSFILE`). `schema` (default
/// `cairn`) is the PostgreSQL schema that holds cairn's tables, so that several registries can share one database.
public struct PostgresLocation: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// The folder holding the server's socket (`.s.PGSQL.PORT`).
        case socket(folder: String, port: Int)
    }

    /// libpq's `sslmode`: whether TLS is tried, required, and how the server's certificate is checked.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String
    public var tls: TLSMode
    /// `sslrootcert`: the certificate authorities that verify the server (verify-ca, verify-full).
    public var rootCertificate: String?
    public var connectTimeout: Int
    public var applicationName: String

    /// The store's identity: where it is, without the password.
    public var identity: String {
        let place: String
        switch endpoint {
        case .tcp(let host, let port): place = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .socket(let folder, let port): place = Self.encode(folder) + ":\(port)"
        }
        return "postgres://\(Self.encode(user))@\(place)/\(Self.encode(database))?schema=\(schema)"
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    /// Reads `url`; `environment` supplies libpq's variables, `home` the folder of `.pgpass`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                home: String = NSHomeDirectory()) throws {
        guard let schemeEnd = url.range(of: "://"), RegistryConfig.stateURLNamesPostgres(url) else {
            throw Invalid(message: "'\(Self.redacted(url))' is not a postgres:// URL")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let key = Self.decode(parts[0]), let value = Self.decode(parts[1]) else {
                    throw Invalid(message: "the URL's parameter '\(pair)' is not KEY=VALUE")
                }
                query[key] = value
            }
            rest = rest[..<mark]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var urlUser: String?
        var urlPassword: String?
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            urlUser = Self.decode(parts[0]).flatMap { $0.isEmpty ? nil : $0 }
            if parts.count == 2 { urlPassword = Self.decode(parts[1]) }
        }
        // HOST[:PORT], HOST an IPv6 literal in brackets, or a socket folder written %2F-encoded.
        var urlHost: String?
        var urlPort: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw Invalid(message: "the URL's host '\(rest)' has no closing ']'") }
            urlHost = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { urlPort = String(after.dropFirst()) } else if !after.isEmpty { throw Invalid(message: "the URL's host '\(rest)' is malformed") }
        } else if !rest.isEmpty {
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            urlHost = Self.decode(parts[0]).flatMap { $0.isEmpty ? nil : $0 }
            if parts.count == 2 { urlPort = String(parts[1]) }
        }
        let known: Set = ["sslmode", "schema", "host", "port", "user", "password", "dbname", "sslrootcert", "connect_timeout", "application_name"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(message: "the URL's parameter '\(unknown)' is not one cairn reads (\(known.sorted().joined(separator: ", ")))")
        }

        let host = query["host"] ?? urlHost ?? environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/run/postgresql"
        let portText = query["port"] ?? urlPort.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGPORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else { throw Invalid(message: "the port '\(portText)' is not a number from 1 to 65535") }
        endpoint = host.hasPrefix("/") ? .socket(folder: host, port: port) : .tcp(host: host, port: port)
        user = query["user"] ?? urlUser ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let decodedPath = Self.decode(Substring(path)) ?? path
        database = query["dbname"] ?? (decodedPath.isEmpty ? nil : decodedPath) ?? environment["PGDATABASE"] ?? user
        schema = query["schema"] ?? "cairn"
        guard Self.isPlainIdentifier(schema) else {
            throw Invalid(message: "the schema '\(schema)' must be a plain identifier: lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters")
        }
        let modeText = query["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let mode = TLSMode(rawValue: modeText) else {
            throw Invalid(message: "sslmode '\(modeText)' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        tls = mode
        rootCertificate = query["sslrootcert"] ?? environment["PGSSLROOTCERT"]
        let timeoutText = query["connect_timeout"] ?? environment["PGCONNECT_TIMEOUT"] ?? "10"
        guard let timeout = Int(timeoutText), timeout >= 0 else { throw Invalid(message: "connect_timeout '\(timeoutText)' is not a number of seconds") }
        connectTimeout = timeout == 0 ? 10 : timeout
        applicationName = query["application_name"] ?? "cairn"
        password = query["password"] ?? urlPassword ?? environment["PGPASSWORD"]
        if password == nil {
            let file = environment["PGPASSFILE"] ?? (home + "/.pgpass")
            password = Self.passFilePassword(file: file, endpoint: endpoint, database: database, user: user)
        }
    }

    /// `url` with its password, if any, replaced by `***` (for messages).
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        var text = url
        if let at = url[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@"),
           let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(url.index(after: colon)..<at, with: "***")
        }
        if let range = text.range(of: "password=") {
            let end = text[range.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return text
    }

    /// The password of the first line of a `.pgpass` file (`host:port:database:user:password`, `*` matching anything,
    /// `\:` and `\\` escaped) that matches. libpq ignores a file others can read; so does cairn.
    static func passFilePassword(file: String, endpoint: Endpoint, database: String, user: String) -> String? {
        var info = stat()
        guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o077 == 0,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let (host, port): (String, Int) = switch endpoint {
        case .tcp(let host, let port): (host, port)
        case .socket(_, let port): ("localhost", port)
        }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped { fields[fields.count - 1].append(character); escaped = false }
                else if character == "\\" { escaped = true }
                else if character == ":" && fields.count < 5 { fields.append("") }
                else { fields[fields.count - 1].append(character) }
            }
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func decode(_ text: Substring) -> String? { String(text).removingPercentEncoding }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
