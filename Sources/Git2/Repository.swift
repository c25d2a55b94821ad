internal import CLibGit2
import Foundation

/// An open git repository. Owns its libgit2 handle and frees it in `deinit`.
///
/// libgit2 repository handles must not be used from two threads at once, so every call
/// takes the repository's lock; that is why the class can be `@unchecked Sendable`.
public final class Repository: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()

    /// The `.git` folder (or the bare repository itself).
    public let gitDirectory: String
    /// The working tree, nil for a bare repository.
    public let workingDirectory: String?
    /// Where references and objects live: the git directory, or for a linked worktree its main repository's.
    public let commonDirectory: String

    init(handle: OpaquePointer) {
        self.handle = handle
        gitDirectory = String(cString: git_repository_path(handle))
        commonDirectory = String(cString: git_repository_commondir(handle))
        workingDirectory = git_repository_workdir(handle).map { String(cString: $0) }
    }

    deinit { git_repository_free(handle) }

    /// Opens the repository that contains `path`, searching parent folders like `git` does.
    public static func discover(from path: String) throws -> Repository {
        Library.ensureInitialized()
        var handle: OpaquePointer?
        try check("git_repository_open_ext", git_repository_open_ext(&handle, path, 0, nil))
        return Repository(handle: handle!)
    }

    /// Opens the repository git's environment names (`GIT_DIR`, `GIT_OBJECT_DIRECTORY`, alternates): how a hook
    /// sees a push's objects, which git keeps in a quarantine folder until the hook accepts them.
    public static func openFromEnvironment() throws -> Repository {
        Library.ensureInitialized()
        var handle: OpaquePointer?
        try check("git_repository_open_ext", git_repository_open_ext(&handle, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil))
        return Repository(handle: handle!)
    }

    /// Creates a new repository (bare or with a working tree) at `path`; with `initialBranch`, HEAD names that branch
    /// (as `git init -b`) instead of git's configured or built-in default.
    public static func create(at path: String, bare: Bool = false, initialBranch: String? = nil) throws -> Repository {
        Library.ensureInitialized()
        var handle: OpaquePointer?
        var options = git_repository_init_options()
        try check("git_repository_init_options_init", git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)))
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | (bare ? GIT_REPOSITORY_INIT_BARE.rawValue : 0)
        try (initialBranch ?? "").withCString { branch in
            if initialBranch != nil { options.initial_head = branch }
            try check("git_repository_init_ext", git_repository_init_ext(&handle, path, &options))
        }
        return Repository(handle: handle!)
    }

    public var isBare: Bool { workingDirectory == nil }

    /// A configuration value as git reads it (repository, global and system files), nil when unset.
    public func configValue(_ name: String) throws -> String? {
        try withHandle { repo in
            var config: OpaquePointer?
            try check("git_repository_config_snapshot", git_repository_config_snapshot(&config, repo))
            defer { git_config_free(config) }
            var value: UnsafePointer<CChar>?
            let result = git_config_get_string(&value, config, name)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check("git_config_get_string", result)
            return value.map { String(cString: $0) }
        }
    }

    /// Where git runs this repository's hooks from: `core.hooksPath` when set (relative to the working tree, or to
    /// the repository in a bare one; `~/` expanded), else the `hooks` folder of the git directory.
    public func hooksDirectory() throws -> String {
        guard let configured = try configValue("core.hooksPath"), !configured.isEmpty else {
            return (commonDirectory.hasSuffix("/") ? commonDirectory : commonDirectory + "/") + "hooks"
        }
        if configured.hasPrefix("/") { return configured }
        if configured.hasPrefix("~/") { return NSHomeDirectory() + configured.dropFirst(1) }
        let base = workingDirectory ?? gitDirectory
        return (base.hasSuffix("/") ? base : base + "/") + configured
    }

    func withHandle<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(handle)
    }

    // MARK: - Revisions and commits

    /// Resolves a revision (`HEAD`, `main~2`, a tag, an abbreviated id) to the commit it names.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        try withHandle { repo in
            var object: OpaquePointer?
            try check("git_revparse_single", git_revparse_single(&object, repo, revision))
            defer { git_object_free(object) }
            var commit: OpaquePointer?
            try check("git_object_peel", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
            defer { git_object_free(commit) }
            return ObjectID(git_object_id(commit).pointee)
        }
    }

    /// The commit's metadata: its tree, parents, author, committer and message.
    public func commit(_ id: ObjectID) throws -> CommitInfo {
        try withCommit(id) { commit in
            let parentCount = git_commit_parentcount(commit)
            let parents = (0..<parentCount).map { ObjectID(git_commit_parent_id(commit, $0).pointee) }
            return CommitInfo(
                id: id,
                tree: ObjectID(git_commit_tree_id(commit).pointee),
                parents: parents,
                author: Signature(git_commit_author(commit).pointee),
                committer: Signature(git_commit_committer(commit).pointee),
                message: git_commit_message(commit).map { String(cString: $0) } ?? ""
            )
        }
    }

    private func withCommit<T>(_ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withHandle { repo in
            var oid = id.raw
            var commit: OpaquePointer?
            try check("git_commit_lookup", git_commit_lookup(&commit, repo, &oid))
            defer { git_commit_free(commit) }
            return try body(commit!)
        }
    }

    // MARK: - Trees and blobs

    /// The id of the tree at `path` inside the commit's tree; `""` is the root. Nil when absent or not a tree.
    public func treeID(commit: ObjectID, path: String) throws -> ObjectID? {
        let root = try self.commit(commit).tree
        let trimmed = path.split(separator: "/").joined(separator: "/")
        if trimmed.isEmpty { return root }
        return try entryID(under: root, path: trimmed, type: GIT_OBJECT_TREE)
    }

    /// The id of the blob at `path` in the commit's tree, nil when there is no blob there.
    public func blobID(commit: ObjectID, path: String) throws -> ObjectID? {
        try blobID(tree: try self.commit(commit).tree, path: path)
    }

    /// The id of the blob at `path` under a tree, nil when there is no blob there.
    public func blobID(tree root: ObjectID, path: String) throws -> ObjectID? {
        try entryID(under: root, path: path, type: GIT_OBJECT_BLOB)
    }

    /// The id of the entry at `path` under `root` when it is an object of `type`.
    private func entryID(under root: ObjectID, path: String, type: git_object_t) throws -> ObjectID? {
        try withHandle { repo in
            var oid = root.raw
            var tree: OpaquePointer?
            try check("git_tree_lookup", git_tree_lookup(&tree, repo, &oid))
            defer { git_tree_free(tree) }
            var entry: OpaquePointer?
            let result = git_tree_entry_bypath(&entry, tree, path)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check("git_tree_entry_bypath", result)
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == type else { return nil }
            return ObjectID(git_tree_entry_id(entry).pointee)
        }
    }

    /// The entries of a tree, in git's order.
    public func entries(ofTree id: ObjectID) throws -> [TreeEntry] {
        try withHandle { repo in
            var oid = id.raw
            var tree: OpaquePointer?
            try check("git_tree_lookup", git_tree_lookup(&tree, repo, &oid))
            defer { git_tree_free(tree) }
            let count = git_tree_entrycount(tree)
            var entries = [TreeEntry]()
            entries.reserveCapacity(count)
            for index in 0..<count {
                guard let entry = git_tree_entry_byindex(tree, index) else { continue }
                entries.append(TreeEntry(
                    name: String(cString: git_tree_entry_name(entry)),
                    id: ObjectID(git_tree_entry_id(entry).pointee),
                    mode: git_tree_entry_filemode(entry).rawValue
                ))
            }
            return entries
        }
    }

    /// The size of a blob in bytes, read from the object header without loading its content.
    public func blobSize(_ id: ObjectID) throws -> Int {
        try withObjectDatabase { odb in
            var oid = id.raw
            var size = 0
            var type = GIT_OBJECT_ANY
            try check("git_odb_read_header", git_odb_read_header(&size, &type, odb, &oid))
            return size
        }
    }

    /// Runs `body` with the repository's object database, under the repository's lock.
    func withObjectDatabase<T>(_ body: (OpaquePointer?) throws -> T) throws -> T {
        try withHandle { repo in
            var odb: OpaquePointer?
            try check("git_repository_odb", git_repository_odb(&odb, repo))
            defer { git_odb_free(odb) }
            return try body(odb)
        }
    }

    /// The content of a blob.
    public func blob(_ id: ObjectID) throws -> [UInt8] {
        try withHandle { repo in
            var oid = id.raw
            var blob: OpaquePointer?
            try check("git_blob_lookup", git_blob_lookup(&blob, repo, &oid))
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let bytes = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: size))
        }
    }

    /// The id git would give `bytes` as a blob (`git hash-object`), without writing it.
    public static func blobID(of bytes: [UInt8]) throws -> ObjectID {
        Library.ensureInitialized()
        var oid = git_oid()
        try bytes.withUnsafeBytes { raw in
            _ = try check("git_odb_hash", git_odb_hash(&oid, raw.baseAddress, raw.count, GIT_OBJECT_BLOB))
        }
        return ObjectID(oid)
    }

    // MARK: - Diffs

    /// The paths that differ between two commits' trees (renames are not detected: a rename is a delete and an add).
    public func changedPaths(from old: ObjectID, to new: ObjectID) throws -> [ChangedPath] {
        let oldTree = try commit(old).tree
        let newTree = try commit(new).tree
        return try withHandle { repo in
            var oldOID = oldTree.raw, newOID = newTree.raw
            var left: OpaquePointer?, right: OpaquePointer?
            try check("git_tree_lookup", git_tree_lookup(&left, repo, &oldOID))
            defer { git_tree_free(left) }
            try check("git_tree_lookup", git_tree_lookup(&right, repo, &newOID))
            defer { git_tree_free(right) }
            var diff: OpaquePointer?
            try check("git_diff_tree_to_tree", git_diff_tree_to_tree(&diff, repo, left, right, nil))
            defer { git_diff_free(diff) }
            var changes = [ChangedPath]()
            for index in 0..<git_diff_num_deltas(diff) {
                guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                let status: ChangedPath.Status
                switch delta.status {
                case GIT_DELTA_ADDED: status = .added
                case GIT_DELTA_DELETED: status = .deleted
                case GIT_DELTA_RENAMED: status = .renamed
                case GIT_DELTA_TYPECHANGE: status = .typeChanged
                default: status = .modified
                }
                changes.append(ChangedPath(
                    status: status,
                    oldPath: String(cString: delta.old_file.path),
                    newPath: String(cString: delta.new_file.path)
                ))
            }
            return changes
        }
    }

    // MARK: - Tags

    /// Every reference under `refs/tags/`: its short name and the object it points at. No object is read,
    /// so this costs what listing the references costs.
    public func tagReferences() throws -> [(name: String, object: ObjectID)] {
        try withHandle { repo in
            try Self.directReferences(repo, glob: "refs/tags/*").map { (String($0.name.dropFirst("refs/tags/".count)), $0.object) }
        }
    }

    /// The references matching `glob` that point straight at an object (symbolic ones left out): full names, in
    /// libgit2's order.
    static func directReferences(_ repo: OpaquePointer, glob: String) throws -> [(name: String, object: ObjectID)] {
        var iterator: OpaquePointer?
        try check("git_reference_iterator_glob_new", git_reference_iterator_glob_new(&iterator, repo, glob))
        defer { git_reference_iterator_free(iterator) }
        var references: [(name: String, object: ObjectID)] = []
        while true {
            var reference: OpaquePointer?
            let result = git_reference_next(&reference, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check("git_reference_next", result)
            defer { git_reference_free(reference) }
            guard let direct = git_reference_target(reference) else { continue }
            references.append((String(cString: git_reference_name(reference)), ObjectID(direct.pointee)))
        }
        return references
    }

    /// The annotated tag object `id`: what it tags, its tagger and message; nil when `id` is not a tag object
    /// (a lightweight tag points straight at its target).
    public func annotatedTag(_ id: ObjectID) throws -> (target: ObjectID, annotation: TagRecord.Annotation)? {
        try withHandle { repo in
            var oid = id.raw
            var tag: OpaquePointer?
            guard git_tag_lookup(&tag, repo, &oid) == 0 else {
                git_error_clear()
                return nil
            }
            defer { git_tag_free(tag) }
            let tagger = git_tag_tagger(tag).map { Signature($0.pointee) }
            let message = git_tag_message(tag).map { String(cString: $0) } ?? ""
            // A tag of a tag is read, as git and GTO read it, as a tag of what the innermost one tags.
            var peeled: OpaquePointer?
            try check("git_tag_peel", git_tag_peel(&peeled, tag))
            defer { git_object_free(peeled) }
            return (ObjectID(git_object_id(peeled).pointee), TagRecord.Annotation(tagger: tagger, message: message))
        }
    }

    /// Every tag under `refs/tags/`, each object read once: annotated tags with their tagger, date and message.
    public func tags() throws -> [TagRecord] {
        try tagReferences().map { reference in
            guard let (target, annotation) = try annotatedTag(reference.object) else {
                return TagRecord(name: reference.name, referenceTarget: reference.object, target: reference.object, annotation: nil)
            }
            return TagRecord(name: reference.name, referenceTarget: reference.object, target: target, annotation: annotation)
        }
    }

    /// Writes an annotated tag `refs/tags/NAME` pointing at `target`. Refuses to overwrite unless `force`.
    @discardableResult
    public func createTag(name: String, target: ObjectID, tagger: Signature, message: String, force: Bool = false) throws -> ObjectID {
        try withHandle { repo in
            var targetOID = target.raw
            var object: OpaquePointer?
            try check("git_object_lookup", git_object_lookup(&object, repo, &targetOID, GIT_OBJECT_ANY))
            defer { git_object_free(object) }
            var signature: UnsafeMutablePointer<git_signature>?
            try check("git_signature_new", git_signature_new(&signature, tagger.name, tagger.email, git_time_t(tagger.time), Int32(tagger.offsetMinutes)))
            defer { git_signature_free(signature) }
            var tagOID = git_oid()
            try check("git_tag_create", git_tag_create(&tagOID, repo, name, object, signature, message, force ? 1 : 0))
            return ObjectID(tagOID)
        }
    }

    /// The bytes of tag object `id` as git stores them (headers, message and any signature after it): what a
    /// signature covers. nil when `id` is not a tag object; an error when it is larger than `limit` bytes (read from
    /// its header first, so a huge object is refused without being loaded).
    public func rawTag(_ id: ObjectID, limit: Int = 1 << 20) throws -> [UInt8]? {
        try withObjectDatabase { odb in
            var oid = id.raw
            var size = 0
            var type = GIT_OBJECT_INVALID
            _ = try check("git_odb_read_header", git_odb_read_header(&size, &type, odb, &oid))
            guard type == GIT_OBJECT_TAG else { return nil }
            guard size <= limit else { throw GitError(function: "git_odb_read", code: -1, message: "tag object \(id.hex) is \(size) bytes, more than \(limit)") }
            var object: OpaquePointer?
            _ = try check("git_odb_read", git_odb_read(&object, odb, &oid))
            defer { git_odb_object_free(object) }
            guard let data = git_odb_object_data(object) else { return [] }
            return Array(UnsafeRawBufferPointer(start: data, count: git_odb_object_size(object)))
        }
    }

    /// The bytes of an annotated tag object as `git tag` writes them before any signature is appended: what
    /// `git tag -s` signs. The tag is not written.
    public func tagPayload(name: String, target: ObjectID, tagger: Signature, message: String) throws -> [UInt8] {
        let type: String = try withHandle { repo in
            var oid = target.raw
            var object: OpaquePointer?
            _ = try check("git_object_lookup", git_object_lookup(&object, repo, &oid, GIT_OBJECT_ANY))
            defer { git_object_free(object) }
            return String(cString: git_object_type2string(git_object_type(object)))
        }
        let offset = abs(tagger.offsetMinutes)
        let zone = (tagger.offsetMinutes < 0 ? "-" : "+") + String(format: "%02d%02d", offset / 60, offset % 60)
        return Array("object \(target.hex)\ntype \(type)\ntag \(name)\ntagger \(tagger.name) <\(tagger.email)> \(tagger.time) \(zone)\n\n\(message)".utf8)
    }

    /// Writes the tag object `bytes` (a payload from `tagPayload`, with a signature appended) and `refs/tags/NAME`
    /// for the name it holds. Refuses to overwrite unless `force`.
    @discardableResult
    public func createTag(bytes: [UInt8], force: Bool = false) throws -> ObjectID {
        try withHandle { repo in
            var tagOID = git_oid()
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try check("git_tag_create_from_buffer", git_tag_create_from_buffer(&tagOID, repo, text, force ? 1 : 0))
            return ObjectID(tagOID)
        }
    }

    /// Writes the index (what is staged) as a tree and a commit on top of HEAD that no reference points to, so that
    /// the staged state can be read like any commit. The objects are collected by git's usual housekeeping.
    public func commitIndex(message: String) throws -> ObjectID {
        try withHandle { repo in
            var index: OpaquePointer?
            try check("git_repository_index", git_repository_index(&index, repo))
            defer { git_index_free(index) }
            var signature: UnsafeMutablePointer<git_signature>?
            if git_signature_default(&signature, repo) != 0 {
                git_error_clear()
                try check("git_signature_now", git_signature_now(&signature, "cairn", "cairn@localhost"))
            }
            defer { git_signature_free(signature) }
            return try Self.commit(index: index, in: repo, message: message, signature: signature, updating: nil)
        }
    }

    /// Writes `index` as a tree and commits it on top of HEAD (when HEAD has a commit), by `signature`; moves
    /// `reference` to the commit when one is named.
    private static func commit(index: OpaquePointer?, in repo: OpaquePointer, message: String, signature: UnsafeMutablePointer<git_signature>?,
                               updating reference: String?) throws -> ObjectID {
        var treeID = git_oid()
        try check("git_index_write_tree", git_index_write_tree(&treeID, index))
        var tree: OpaquePointer?
        try check("git_tree_lookup", git_tree_lookup(&tree, repo, &treeID))
        defer { git_tree_free(tree) }
        var parent: OpaquePointer?
        var headID = git_oid()
        if git_reference_name_to_id(&headID, repo, "HEAD") == 0 {
            try check("git_commit_lookup", git_commit_lookup(&parent, repo, &headID))
        } else {
            git_error_clear()
        }
        defer { if let parent { git_commit_free(parent) } }
        var commitID = git_oid()
        var parents: [OpaquePointer?] = parent.map { [$0] } ?? []
        try parents.withUnsafeMutableBufferPointer { buffer in
            try check("git_commit_create", git_commit_create(&commitID, repo, reference, signature, signature, nil, message, tree,
                                                              buffer.count, buffer.baseAddress))
        }
        return ObjectID(commitID)
    }

    /// Stages every file of the working tree that is not ignored (`git add -A`) and commits the result on HEAD's
    /// branch, by `author` (also the committer). Returns the new commit.
    public func commitWorkingTree(message: String, author: Signature) throws -> ObjectID {
        try withHandle { repo in
            var index: OpaquePointer?
            try check("git_repository_index", git_repository_index(&index, repo))
            defer { git_index_free(index) }
            try check("git_index_add_all", git_index_add_all(index, nil, GIT_INDEX_ADD_DEFAULT.rawValue, nil, nil))
            try check("git_index_write", git_index_write(index))
            var signature: UnsafeMutablePointer<git_signature>?
            try check("git_signature_new", git_signature_new(&signature, author.name, author.email, git_time_t(author.time), Int32(author.offsetMinutes)))
            defer { git_signature_free(signature) }
            return try Self.commit(index: index, in: repo, message: message, signature: signature, updating: "HEAD")
        }
    }

    /// Deletes `refs/tags/NAME` (the tag object stays until git collects it).
    public func deleteTag(name: String) throws {
        try withHandle { repo in _ = try check("git_tag_delete", git_tag_delete(repo, name)) }
    }

    /// The signature git would use here: `user.name` and `user.email` from the configuration, at the current time.
    public func defaultSignature() throws -> Signature {
        try withHandle { repo in
            var signature: UnsafeMutablePointer<git_signature>?
            try check("git_signature_default", git_signature_default(&signature, repo))
            defer { git_signature_free(signature) }
            return Signature(signature!.pointee)
        }
    }

    /// Pushes `references` (full names, e.g. `refs/tags/x`) to `remote`, a configured remote's name or a URL or
    /// path. Throws `PushRejected` naming each reference the remote refused, with the remote's reason.
    public func push(_ references: [String], to remote: String) throws {
        try withHandle { repo in
            let handle = try Self.remote(remote, in: repo)
            defer { git_remote_free(handle) }
            // A reference the remote already has with another object would replace someone else's tag: refuse it
            // here, with a reason, whatever the transport would have said.
            try check("git_remote_connect", git_remote_connect(handle, GIT_DIRECTION_PUSH, nil, nil, nil))
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            try check("git_remote_ls", git_remote_ls(&heads, &count, handle))
            var remoteObjects: [String: ObjectID] = [:]
            for index in 0..<count {
                if let head = heads?[index] { remoteObjects[String(cString: head.pointee.name)] = ObjectID(head.pointee.oid) }
            }
            var clashes: [(name: String, reason: String)] = []
            for reference in references {
                var local = git_oid()
                try check("git_reference_name_to_id", git_reference_name_to_id(&local, repo, reference))
                if let theirs = remoteObjects[reference], theirs != ObjectID(local) {
                    clashes.append((reference, "it already exists there as another object (\(theirs.short))"))
                }
            }
            guard clashes.isEmpty else { throw PushRejected(remote: remote, references: clashes) }

            let rejections = PushRejections()
            var options = git_push_options()
            try check("git_push_options_init", git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)))
            options.callbacks.payload = Unmanaged.passUnretained(rejections).toOpaque()
            options.callbacks.push_update_reference = { name, status, payload in
                if let name, let status, let payload {
                    Unmanaged<PushRejections>.fromOpaque(payload).takeUnretainedValue().list.append((String(cString: name), String(cString: status)))
                }
                return 0
            }
            let refspecs = references.map { strdup("\($0):\($0)")! }
            defer { refspecs.forEach { free($0) } }
            var pointers = refspecs.map { UnsafeMutablePointer<CChar>?($0) }
            try pointers.withUnsafeMutableBufferPointer { buffer in
                var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                try check("git_remote_push", git_remote_push(handle, &array, &options))
            }
            if !rejections.list.isEmpty {
                throw PushRejected(remote: remote, references: rejections.list.map { (name: $0.0, reason: $0.1) })
            }
        }
    }
}

extension Repository {
    /// A configured remote by name, else an anonymous one for a URL or path; the caller frees it.
    private static func remote(_ remote: String, in repo: OpaquePointer) throws -> OpaquePointer? {
        var handle: OpaquePointer?
        if git_remote_lookup(&handle, repo, remote) != 0 {
            git_error_clear()
            try check("git_remote_create_anonymous", git_remote_create_anonymous(&handle, repo, remote))
        }
        return handle
    }

    /// Moves every loose reference into `packed-refs`, as `git pack-refs --all` does: libgit2 looks a loose reference
    /// up by its file, so a fetch into a mirror holding 20,000 loose tags spends seconds in `stat` and `open`.
    public func packReferences() throws {
        try withHandle { repo in
            var refdb: OpaquePointer?
            try check("git_repository_refdb", git_repository_refdb(&refdb, repo))
            defer { git_refdb_free(refdb) }
            try check("git_refdb_compress", git_refdb_compress(refdb))
        }
    }

    /// Points HEAD at `reference` (`refs/heads/main`), which need not exist yet.
    public func setHead(_ reference: String) throws {
        try withHandle { repo in _ = try check("git_repository_set_head", git_repository_set_head(repo, reference)) }
    }

    /// The reference HEAD names (`refs/heads/main`), nil when HEAD is detached.
    public func headReference() throws -> String? {
        try withHandle { repo in
            var reference: OpaquePointer?
            let result = git_reference_lookup(&reference, repo, "HEAD")
            try check("git_reference_lookup", result)
            defer { git_reference_free(reference) }
            return git_reference_symbolic_target(reference).map { String(cString: $0) }
        }
    }

    /// Adds a remote named `name` with `url` and git's default fetch refspec.
    public func addRemote(_ name: String, url: String) throws {
        try withHandle { repo in
            var remote: OpaquePointer?
            try check("git_remote_create", git_remote_create(&remote, repo, name, url))
            git_remote_free(remote)
        }
    }
}

/// The references a push could not update, with the remote's reasons.
public struct PushRejected: Error, CustomStringConvertible, Sendable {
    public let remote: String
    public let references: [(name: String, reason: String)]

    public var description: String {
        "\(remote) rejected " + references.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ")
    }
}

/// Collects rejections from libgit2's push callback.
private final class PushRejections {
    var list: [(String, String)] = []
}

/// What a commit object records.
public struct CommitInfo: Sendable, Hashable {
    public let id: ObjectID
    public let tree: ObjectID
    public let parents: [ObjectID]
    public let author: Signature
    public let committer: Signature
    public let message: String
}

extension Signature {
    init(_ signature: git_signature) {
        self.init(
            name: signature.name.map { String(cString: $0) } ?? "",
            email: signature.email.map { String(cString: $0) } ?? "",
            time: Int64(signature.when.time),
            offsetMinutes: Int32(signature.when.offset)
        )
    }
}

/// libgit2's process-wide set-up, done once.
enum Library {
    private static let initialized: Bool = {
        git_libgit2_init()
        // cairn only reads objects; a repository owned by another user (CI checkouts) is still safe to read.
        cairn_git_disable_owner_validation()
        return true
    }()

    static func ensureInitialized() { _ = initialized }
}

/// The libgit2 this binary runs with ("1.5.1").
public var libgit2Version: String {
    var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
    git_libgit2_version(&major, &minor, &revision)
    return "\(major).\(minor).\(revision)"
}
