// swift-tools-version:6.2
import Foundation
import PackageDescription

/// `make release` sets CAIRN_STATIC_LIBGIT2=1: libgit2 and what it uses (TLS, SSH, regex, zlib) are linked in from
/// Debian's static archives, so that the binary does not need libgit2 where it runs. Kerberos (GSSAPI, for HTTP
/// "Negotiate" authentication) stays a shared library: Debian ships no static one.
let staticLibgit2 = ProcessInfo.processInfo.environment["CAIRN_STATIC_LIBGIT2"] == "1"
let libgit2Linking: [LinkerSetting] = staticLibgit2
    ? [.unsafeFlags(["libgit2.a", "libmbedtls.a", "libmbedx509.a", "libmbedcrypto.a", "libhttp_parser.a", "libssh2.a", "libcrypto.a",
                     "libpcre2-8.a", "libz.a"].flatMap { ["-Xlinker", "-l:" + $0] }
                    + ["-Xlinker", "-l:libgssapi_krb5.so.2", "-Xlinker", "-ldl", "-Xlinker", "-lrt"])]
    : [.linkedLibrary("git2")]

let package = Package(
    name: "cairn",
    // Linux only (glibc calls, libgit2 and libyaml from Debian); no `platforms`, since it names Apple's only.
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: - C and git

        /// libgit2's headers from the system (Debian: libgit2-dev); how it is linked is `libgit2Linking`'s choice.
        .systemLibrary(
            name: "CLibGit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        /// libpq (Debian: libpq-dev for its headers, libpq5 at run time) for the audit chain's binary COPY reader,
        /// loaded with dlopen when first used rather than linked (see CLibPQ.h).
        .target(name: "CLibPQ"),
        /// A thin, domain-free Swift layer over libgit2: repositories, objects, trees, blobs, tags, diffs.
        .target(name: "Git2", dependencies: ["CLibGit2"], linkerSettings: libgit2Linking),

        // MARK: - Domain

        /// Pure Sendable values: kinds, identities, SemVer, JSON values, diagnostics. No I/O.
        .target(name: "CairnModel"),
        /// YAML → JSON values with file:line:column, JSON Schema validation, hardened loading, digests.
        .target(
            name: "CairnManifest",
            dependencies: [
                "CairnModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        /// A registry read from git at a commit: artifacts, semantic rules, rendering, the declared state of an environment;
        /// its results memoized by the caches in Cache/ (the one place that caches).
        .target(name: "CairnRegistry", dependencies: ["Git2", "CairnModel", "CairnManifest", "CairnTrust", .product(name: "Crypto", package: "swift-crypto")]),

        /// Trust: SSH signatures (sshsig) on tags verified natively against git's allowed-signers file, and evidence
        /// statements (no git); signing goes through ssh-keygen, as git's does.
        .target(name: "CairnTrust", dependencies: ["CairnModel", .product(name: "Crypto", package: "swift-crypto"),
                                                   .product(name: "CryptoExtras", package: "swift-crypto")]),

        /// Deployed state and the audit chain: the `StateStore` protocol and its SQLite implementation (GRDB).
        .target(
            name: "CairnState",
            dependencies: ["CairnModel", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        /// The same `StateStore` contract on a PostgreSQL server (postgres-nio), for state shared by several machines.
        .target(
            name: "CairnPostgres",
            dependencies: ["CairnState", "CairnModel", "CLibPQ", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]
        ),
        /// Plans (declared vs deployed, pure) and applies them over a `StateStore`.
        .target(name: "CairnReconciler", dependencies: ["Git2", "CairnModel", "CairnManifest", "CairnState", "CairnRegistry", "CairnTrust",
                                                       .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: - Server

        /// `cairn serve`: the read API over HTTP (Hummingbird), what applications fetch the deployed prompt from, and
        /// the agent that applies `sync: auto` environments (a swift-service-lifecycle service beside the server).
        .target(name: "CairnServer", dependencies: ["Git2", "CairnModel", "CairnManifest", "CairnRegistry", "CairnState", "CairnReconciler",
                                                    .product(name: "Hummingbird", package: "hummingbird"),
                                                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                    .product(name: "Metrics", package: "swift-metrics"),
                                                    .product(name: "HTTPTypes", package: "swift-http-types"),
                                                    .product(name: "Prometheus", package: "swift-prometheus"),
                                                    .product(name: "Crypto", package: "swift-crypto"),
                                                    .product(name: "Logging", package: "swift-log")]),

        // MARK: - Command line

        /// One file per subcommand; parses options, calls one library function, maps the result to an exit code.
        .target(
            name: "CairnCLI",
            dependencies: [
                "Git2",
                "CairnModel",
                "CairnManifest",
                "CairnRegistry",
                "CairnState",
                "CairnPostgres",
                "CairnReconciler",
                "CairnServer",
                "CairnTrust",
                "CBuildStamp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "cairn", dependencies: ["CairnCLI"]),
        /// The commit the binary was built from, written into the linked binary by scripts/stamp-commit.py.
        .target(name: "CBuildStamp"),

        // MARK: - Fuzzing

        /// The fuzz targets (YAML, tag grammar, plan files, cache files), shared by the fuzzer and its regression tests.
        .target(name: "CairnFuzzTargets", dependencies: ["CairnReconciler", "CairnRegistry", "CairnManifest", "CairnModel", "Git2"]),
        /// `make fuzz` builds this with `-sanitize=fuzzer -D CAIRN_FUZZ`; built plainly, it replays inputs.
        .executableTarget(name: "cairn-fuzz", dependencies: ["CairnFuzzTargets", "CLibFuzzer"]),
        /// Declares libFuzzer's driver for cairn-fuzz.
        .target(name: "CLibFuzzer"),

        // MARK: - Tests

        /// Builds throw-away git repositories for tests and benchmarks.
        .target(name: "CairnTestSupport", dependencies: ["Git2"]),
        .testTarget(name: "CairnCacheTests", dependencies: ["CairnRegistry"]),
        .testTarget(name: "CairnTrustTests", dependencies: ["CairnTrust", "CairnTestSupport"]),
        .testTarget(name: "Git2Tests", dependencies: ["Git2", "CairnTestSupport"]),
        .testTarget(name: "CairnModelTests", dependencies: ["CairnModel"]),
        .testTarget(name: "CairnManifestTests", dependencies: ["CairnManifest", "CairnModel", "CairnTestSupport"]),
        .testTarget(name: "CairnRegistryTests", dependencies: ["CairnRegistry", "CairnManifest", "CairnModel", "Git2", "CairnTestSupport"]),
        .testTarget(name: "CairnStateTests", dependencies: ["CairnState", "CairnPostgres", "CairnModel", .product(name: "GRDB", package: "GRDB.swift"),
                                                            .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "CairnReconcilerTests", dependencies: ["CairnReconciler", "CairnRegistry", "CairnState", "CairnManifest", "CairnModel", "Git2",
                                                                 "CairnTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        /// Runs the built binary (`.build/debug/cairn` or CAIRN_BINARY) as users and CI do.
        .testTarget(name: "CairnCLITests", dependencies: ["CairnTestSupport", "CairnManifest", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "CairnFuzzTests", dependencies: ["CairnFuzzTargets", "CairnTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
