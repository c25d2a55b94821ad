internal import CLibGit2
import Foundation

/// Bringing another repository's references and the objects they need into this one, in steps a mirror composes:
/// objects first (`download` over a transport, or `copyObjects` from a repository on this machine), then the
/// references (`setReferences`), so that no reference ever names an object that is not here.
///
/// Why not `git_remote_fetch`: with tens of thousands of tags, libgit2 1.5's fetch spent seconds where git spends
/// milliseconds. Its negotiation puts every local reference into a date-ordered list one insertion at a time
/// (quadratic: 3.8 s for 20,000 tags to fetch 8 objects), and its local transport packs the whole tree of every tag's
/// commit whatever the receiver has (32,000 objects, 6 s, for one new commit).
extension Repository {
    /// A repository's references (full names, to the objects they point at) and the branch its HEAD names.
    public struct References: Sendable, Equatable {
        public var objects: [String: ObjectID]
        public var head: String?

        public init(objects: [String: ObjectID], head: String?) {
            self.objects = objects
            self.head = head
        }
    }

    /// Opens the repository at exactly `path` (its git directory, or a working tree holding `.git`), never one of
    /// its parent folders.
    public static func open(at path: String) throws -> Repository {
        Library.ensureInitialized()
        var handle: OpaquePointer?
        try check("git_repository_open_ext", git_repository_open_ext(&handle, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil))
        return Repository(handle: handle!)
    }

    /// The direct references whose full names start with one of `namespaces` (`refs/tags/`), and the branch HEAD names.
    public func references(under namespaces: [String]) throws -> References {
        try withHandle { repo in
            var objects: [String: ObjectID] = [:]
            for namespace in namespaces {
                for reference in try Self.directReferences(repo, glob: namespace + "*") { objects[reference.name] = reference.object }
            }
            var head: OpaquePointer?
            var named: String?
            if git_reference_lookup(&head, repo, "HEAD") == 0 {
                named = git_reference_symbolic_target(head).map { String(cString: $0) }
                git_reference_free(head)
            } else {
                git_error_clear()
            }
            return References(objects: objects, head: named)
        }
    }

    /// Whether the object database holds `id` (packed, loose, or through an alternate).
    public func hasObject(_ id: ObjectID) throws -> Bool {
        try withObjectDatabase { odb in
            var oid = id.raw
            return git_odb_exists(odb, &oid) == 1
        }
    }

    /// From now on, this handle reads and writes objects in the object database of the repository whose git
    /// directory is `gitDirectory` (its own stays as it is on disk): a repository that negotiates for another.
    public func shareObjects(with gitDirectory: String) throws {
        var odb: OpaquePointer?
        try check("git_odb_open", git_odb_open(&odb, gitDirectory + "/objects"))
        defer { git_odb_free(odb) }
        try withHandle { repo in _ = try check("git_repository_set_odb", git_repository_set_odb(repo, odb)) }
    }

    /// Downloads what the remote's references matched by `refspecs` need and the object database lacks; writes no
    /// reference. The remote is told that this repository's references are what it has, so keep them few and near
    /// the tips (a mirror's branches): that keeps the negotiation short. SSH remotes authenticate through the SSH
    /// agent, once. Returns the remote's references (peeled `^{}` entries left out) and its default branch.
    public func download(from url: String, refspecs: [String]) throws -> References {
        try withHandle { repo in
            var remote: OpaquePointer?
            try check("git_remote_create_anonymous", git_remote_create_anonymous(&remote, repo, url))
            defer { git_remote_free(remote) }
            let progress = FetchProgress()
            var options = git_fetch_options()
            try check("git_fetch_options_init", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.update_fetchhead = 0
            options.callbacks.payload = Unmanaged.passUnretained(progress).toOpaque()
            options.callbacks.credentials = { out, _, username, allowed, payload in
                guard let payload else { return GIT_PASSTHROUGH.rawValue }
                let progress = Unmanaged<FetchProgress>.fromOpaque(payload).takeUnretainedValue()
                guard !progress.askedAgent, allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
                progress.askedAgent = true
                if let username { return git_credential_ssh_key_from_agent(out, username) }
                return git_credential_ssh_key_from_agent(out, "git")
            }
            let specs = refspecs.map { strdup($0)! }
            defer { specs.forEach { free($0) } }
            var pointers = specs.map { UnsafeMutablePointer<CChar>?($0) }
            try pointers.withUnsafeMutableBufferPointer { buffer in
                var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                try check("git_remote_download", git_remote_download(remote, &array, &options))
            }
            defer { git_remote_disconnect(remote) }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            try check("git_remote_ls", git_remote_ls(&heads, &count, remote))
            var objects: [String: ObjectID] = [:]
            for index in 0..<count {
                guard let head = heads?[index] else { continue }
                let name = String(cString: head.pointee.name)
                if name.hasPrefix("refs/"), !name.hasSuffix("^{}") { objects[name] = ObjectID(head.pointee.oid) }
            }
            var branch = git_buf()
            defer { git_buf_dispose(&branch) }
            let named = git_remote_default_branch(&branch, remote) == 0 && branch.ptr != nil
            if !named { git_error_clear() }
            return References(objects: objects, head: named ? String(cString: branch.ptr) : nil)
        }
    }

    /// Copies from `source` (a repository on this machine) the objects reachable from `wanted` and not from `known`,
    /// as one pack written into this repository's object database: what a fetch would bring, without a transport.
    /// Annotated tags are copied with what they tag; `known` commits that `source` does not have are ignored.
    /// Returns how many objects were copied.
    @discardableResult
    public func copyObjects(from source: Repository, reachableFrom wanted: [ObjectID], notFrom known: [ObjectID]) throws -> Int {
        let pack = commonDirectory + "/objects/pack"
        let copied: Int = try source.withHandle { repo in
            var builder: OpaquePointer?, walk: OpaquePointer?, odb: OpaquePointer?
            try check("git_packbuilder_new", git_packbuilder_new(&builder, repo))
            defer { git_packbuilder_free(builder) }
            try check("git_revwalk_new", git_revwalk_new(&walk, repo))
            defer { git_revwalk_free(walk) }
            try check("git_repository_odb", git_repository_odb(&odb, repo))
            defer { git_odb_free(odb) }
            var walking = false
            for id in wanted {
                // A chain of annotated tags, each copied on its own, down to what the last one tags.
                var oid = id.raw
                while true {
                    var object: OpaquePointer?
                    try check("git_object_lookup", git_object_lookup(&object, repo, &oid, GIT_OBJECT_ANY))
                    defer { git_object_free(object) }
                    let type = git_object_type(object)
                    if type == GIT_OBJECT_TAG {
                        try check("git_packbuilder_insert", git_packbuilder_insert(builder, &oid, nil))
                        oid = git_tag_target_id(object).pointee
                        continue
                    }
                    if type == GIT_OBJECT_COMMIT {
                        try check("git_revwalk_push", git_revwalk_push(walk, &oid))
                        walking = true
                    } else if type == GIT_OBJECT_TREE {
                        try check("git_packbuilder_insert_tree", git_packbuilder_insert_tree(builder, &oid))
                    } else {
                        try check("git_packbuilder_insert", git_packbuilder_insert(builder, &oid, nil))
                    }
                    break
                }
            }
            guard walking || git_packbuilder_object_count(builder) > 0 else { return 0 }
            for id in known {
                var oid = id.raw
                var object: OpaquePointer?
                guard git_odb_exists(odb, &oid) == 1, git_object_lookup(&object, repo, &oid, GIT_OBJECT_COMMIT) == 0 else {
                    git_error_clear()
                    continue
                }
                git_object_free(object)
                try check("git_revwalk_hide", git_revwalk_hide(walk, &oid))
            }
            if walking { try check("git_packbuilder_insert_walk", git_packbuilder_insert_walk(builder, walk)) }
            let count = Int(git_packbuilder_object_count(builder))
            try check("git_packbuilder_write", git_packbuilder_write(builder, pack, 0, nil, nil))
            return count
        }
        try withObjectDatabase { odb in _ = try check("git_odb_refresh", git_odb_refresh(odb)) }
        return copied
    }

    /// Makes the references under `namespaces` exactly `objects` (those of `objects` outside them are ignored):
    /// creates and moves what differs, deletes what `objects` lacks. Refused before anything is written when an
    /// object is not in this repository. Returns how many references changed.
    @discardableResult
    public func setReferences(_ objects: [String: ObjectID], under namespaces: [String]) throws -> Int {
        let current = try references(under: namespaces).objects
        let wanted = objects.filter { name, _ in namespaces.contains { name.hasPrefix($0) } }
        let changed = wanted.filter { current[$0.key] != $0.value }
        for (name, id) in changed where try !hasObject(id) {
            throw GitError(function: "setReferences", code: GIT_ENOTFOUND.rawValue,
                           message: "\(name) would point at \(id.hex), which is not in \(gitDirectory)")
        }
        return try withHandle { repo in
            for (name, id) in changed.sorted(by: { $0.key < $1.key }) {
                var reference: OpaquePointer?
                var oid = id.raw
                try check("git_reference_create", git_reference_create(&reference, repo, name, &oid, 1, "cairn fetch"))
                git_reference_free(reference)
            }
            let gone = current.keys.filter { wanted[$0] == nil }
            for name in gone.sorted() { try check("git_reference_remove", git_reference_remove(repo, name)) }
            return changed.count + gone.count
        }
    }
}

/// What libgit2's fetch callbacks need to remember.
private final class FetchProgress {
    var askedAgent = false
}
