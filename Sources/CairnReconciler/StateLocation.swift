import CairnModel
import CairnRegistry
import Foundation
import Git2

/// Which store to open: an SQLite file, or a PostgreSQL database named by a URL (which may carry a password: print
/// it only through `PostgresLocation.redacted`).
public enum StateAddress: Sendable, Hashable {
    case sqlite(path: String)
    /// `origin` says where the URL came from (`--state`, `CAIRN_STATE_URL`, `cairn.yaml's state.url`, ...).
    case postgres(url: String, origin: String)
}

/// Where deployed state lives. The operator decides: `--state`, else `CAIRN_STATE_URL`, else `state.url` of
/// `cairn.yaml` as committed at HEAD (the branch checked out here, never the `--ref` being planned, which may be a
/// pull request's), else `.cairn/state.sqlite` beside the registry's `cairn.yaml`.
///
/// A path from `cairn.yaml` is repository content, so it must stay inside the registry's `.cairn/` folder: relative,
/// no `..`, and no symbolic link on the way (a committed `.cairn` link would otherwise point the store anywhere once
/// cloned); a PostgreSQL URL there must carry no password. A path from the command line or the environment is taken
/// as given, but its folder must exist. cairn writes `.cairn/.gitignore` (`*`) when it makes the folder, so that the
/// state is never committed, whatever the repository's own `.gitignore` says.
///
/// cairn once kept the state at the repository root's `.cairn/` for a registry in a subfolder too: a store found
/// there (and none beside `cairn.yaml`) is still used, with a warning saying how to move it.
public enum StateLocation {
    /// The folder beside the registry's `cairn.yaml` that holds state chosen by `cairn.yaml` (and the default file).
    public static let folder = ".cairn"
    public static let defaultPath = ".cairn/state.sqlite"

    /// The store to open for the registry at `location`.
    public static func address(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               location: RegistryLocation, reader: RegistryReader) throws -> StateAddress {
        if let option { return try operatorAddress(option, origin: "--state") }
        if let url = environment["CAIRN_STATE_URL"] { return try operatorAddress(url, origin: "CAIRN_STATE_URL") }
        let root = location.repository.workingDirectory ?? (location.repository.gitDirectory + "cairn/")
        var relative = defaultPath
        if let head = try? location.repository.resolveCommit("HEAD"), let url = try reader.config(at: head).config?.stateURL {
            if RegistryConfig.stateURLNamesPostgres(url) { return .postgres(url: url, origin: configOrigin) }
            relative = try configuredPath(url)
        }
        let beside = location.repositoryPath(relative)
        if beside != relative, isFile(root + "/" + relative) && !exists(root + "/" + beside) {
            Warnings.emit("the deployed state is in \(relative) at the repository root, where cairn kept it before; it now lives beside "
                          + "cairn.yaml, in \(beside). Move it: mkdir -p \((beside as NSString).deletingLastPathComponent) && cairn state backup --state \(relative) --to \(beside), then remove \(relative) "
                          + "(until then it is used where it is)")
            return .sqlite(path: try prepareInside(root: root, relative: relative))
        }
        return .sqlite(path: try prepareInside(root: root, relative: beside))
    }

    private static func isFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The origin `StateAddress.postgres` names for a URL committed in `cairn.yaml`.
    public static let configOrigin = "cairn.yaml's state.url"

    /// The store a git server's pre-receive hook judges promotions against: `CAIRN_STATE_URL`, else the repository's
    /// `git config cairn.state`, else none (the server has no deployed state; a path is never taken from the pushed
    /// content). The file must exist: a hook does not create an empty store that would refuse every promotion.
    public static func serverAddress(environment: [String: String] = ProcessInfo.processInfo.environment, repository: Repository) throws -> StateAddress? {
        let configured = environment["CAIRN_STATE_URL"].map { ($0, "CAIRN_STATE_URL") }
            ?? (try? repository.configValue("cairn.state")).flatMap { $0.isEmpty ? nil : ($0, "git config cairn.state") }
        guard let (text, origin) = configured else { return nil }
        let address = try operatorAddress(text, origin: origin)
        if case .sqlite(let path) = address, !FileManager.default.fileExists(atPath: path) {
            throw CairnError.stateLocation(origin: origin, problem: "\(path) does not exist", fix: nil)
        }
        return address
    }

    /// `postgres://...`, `sqlite:PATH` or a plain path, as the operator wrote it (`origin` names where, for errors).
    public static func operatorAddress(_ text: String, origin: String) throws -> StateAddress {
        if RegistryConfig.stateURLNamesPostgres(text) { return .postgres(url: text, origin: origin) }
        let path = text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text
        if path.isEmpty { throw CairnError.stateLocation(origin: origin, problem: "empty", fix: "name an SQLite file, or leave it out for \(defaultPath)") }
        if path.contains("://") {
            throw CairnError.stateLocation(origin: origin, problem: "'\(text.prefix(while: { $0 != ":" }))://...' is neither an SQLite file nor a PostgreSQL URL",
                                           fix: "name an SQLite file as sqlite:PATH or a path, or a database as postgres://HOST/DATABASE")
        }
        return .sqlite(path: path)
    }

    /// The relative path a `cairn.yaml` `state.url` names, checked to stay inside `.cairn/`.
    static func configuredPath(_ url: String) throws -> String {
        let fix = "it may only name a file inside the registry's \(folder)/ folder, beside cairn.yaml (sqlite:\(folder)/NAME.sqlite); to keep state elsewhere, pass --state or set CAIRN_STATE_URL"
        guard url.hasPrefix("sqlite:") else { throw CairnError.stateLocation(origin: "cairn.yaml's state.url", problem: "'\(url)' is outside \(folder)/", fix: fix) }
        let path = String(url.dropFirst("sqlite:".count))
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), parts.count >= 2, parts.first == Substring(folder),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }) else {
            throw CairnError.stateLocation(origin: "cairn.yaml's state.url", problem: "'\(url)' is outside \(folder)/", fix: fix)
        }
        return path
    }

    /// Writes `folder/.gitignore` saying `*` (the folder ignores itself, as a virtual environment does), unless one is there.
    static func ignoreEverything(in folder: String) {
        let descriptor = open(folder + "/.gitignore", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        let text = "# cairn's deployed state: kept out of git.\n*\n"
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }

    /// `root/relative`, creating missing folders below `root` and refusing a symbolic link at any step.
    static func prepareInside(root: String, relative: String) throws -> String {
        var current = root.hasSuffix("/") ? String(root.dropLast()) : root
        try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
        let parts = relative.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated() {
            current += "/" + part
            var info = stat()
            let isLast = index == parts.count - 1
            if lstat(current, &info) != 0 {
                guard errno == ENOENT else { throw CairnError.fileSystem(operation: "inspect", path: current, cause: String(cString: strerror(errno))) }
                if isLast { break }
                guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                    throw CairnError.fileSystem(operation: "create", path: current, cause: String(cString: strerror(errno)))
                }
                if part == folder { ignoreEverything(in: current) }
                guard lstat(current, &info) == 0 else { throw CairnError.fileSystem(operation: "inspect", path: current, cause: String(cString: strerror(errno))) }
            }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK {
                throw CairnError.stateLocation(origin: current, problem: "is a symbolic link; cairn does not follow links for the state it keeps in \(folder)/ (a committed link could point anywhere)", fix: "remove it, or pass --state PATH")
            }
            if !isLast && type != S_IFDIR { throw CairnError.notAFolder(path: current, commit: nil) }
        }
        return current
    }
}
