# cairn — the two commands a newcomer needs: `make demo` and `make test`.
SWIFT ?= swift
CAIRN_DEBUG := .build/debug/cairn
CAIRN_RELEASE := .build/release/cairn

.PHONY: deps deps-postgres build release demo demo-postgres test fault fuzz bench bench-state bench-serve bench-compare bench-signatures interop clean schemas install dist api-check

deps:
	@scripts/install-deps.sh

# deps, and a PostgreSQL server for the tests, demo-postgres and the state benchmark.
deps-postgres:
	@scripts/install-deps.sh postgres

build: deps
	$(SWIFT) build --product cairn

# The Swift runtime and Foundation linked in (a command starts ~7 ms sooner), and libgit2 (Package.swift's
# CAIRN_STATIC_LIBGIT2), checked with ldd; then the commit is stamped in (cairn version prints it).
release: deps
	CAIRN_STATIC_LIBGIT2=1 $(SWIFT) build -c release --static-swift-stdlib --product cairn
	@if ldd $(CAIRN_RELEASE) | grep -E 'libgit2|libswiftCore' >/dev/null; then echo "release: libgit2 or the Swift runtime is linked dynamically" >&2; exit 1; fi
	@python3 scripts/stamp-commit.py $(CAIRN_RELEASE)

# The binary carries its schemas (no resource bundle beside it): after editing schemas/, regenerate them.
schemas:
	@python3 scripts/embed-schemas.py

# The release binary into PREFIX/bin, its schemas (for editors) into PREFIX/share/cairn/schemas.
PREFIX ?= /usr/local
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/cairn/schemas
	install -m 755 $(CAIRN_RELEASE) $(DESTDIR)$(PREFIX)/bin/cairn
	install -m 644 schemas/*.json $(DESTDIR)$(PREFIX)/share/cairn/schemas/

# dist/cairn-VERSION-linux-ARCH.tar.gz: the binary, shell completions and the schemas.
dist: release
	@scripts/dist.sh $(CAIRN_RELEASE)

demo: build
	@scripts/demo.sh $(CAIRN_DEBUG)

# The same lifecycle with the state on a throw-away PostgreSQL server (installed from Debian when missing).
demo-postgres: deps-postgres build
	@CAIRN_REQUIRE_POSTGRES=1 DEMO_POSTGRES=1 scripts/with-postgres.sh scripts/demo.sh $(CAIRN_DEBUG)

# The tests and the fault suite run beside a throw-away PostgreSQL server (scripts/with-postgres.sh), so that every
# state-store test and the kill -9 loop run on SQLite and on PostgreSQL.
test: deps-postgres
	$(SWIFT) build --product cairn
	scripts/with-postgres.sh sh -c '$(SWIFT) test && scripts/fault-suite.sh $(CAIRN_DEBUG)'
	scripts/schema-check.sh $(CAIRN_DEBUG)
	scripts/api-check.sh $(CAIRN_DEBUG)
	scripts/client-check.sh $(CAIRN_DEBUG)

# schemathesis against cairn serve and schemas/openapi.yaml, longer: API_EXAMPLES per operation (make test: 25).
API_EXAMPLES ?= 200
api-check: build
	API_EXAMPLES=$(API_EXAMPLES) scripts/api-check.sh $(CAIRN_DEBUG)

# The fault suite alone, longer: FAULT_ITERATIONS kills of an apply on each store (make test runs 10 on SQLite, 25
# on PostgreSQL), 400 rounds of damaged caches (40).
FAULT_ITERATIONS ?= 100
fault: deps-postgres build
	FAULT_ITERATIONS=$(FAULT_ITERATIONS) PG_FAULT_ITERATIONS=$(FAULT_ITERATIONS) FAULT_ROUNDS=20 CACHE_DAMAGE_ROUNDS=400 \
		scripts/with-postgres.sh scripts/fault-suite.sh $(CAIRN_DEBUG)

# libFuzzer on the YAML loader, the tag grammar, plan files and the cache files: FUZZ_SECONDS per target (60).
fuzz: deps
	@scripts/fuzz.sh

bench: deps-postgres release
	@scripts/bench.sh $(CAIRN_RELEASE)
	@scripts/bench-yaml.sh $(CAIRN_RELEASE)
	@scripts/bench-reconcile.sh $(CAIRN_RELEASE)
	@scripts/bench-tags.sh $(CAIRN_RELEASE)
	@POSTGRES_OPTIONS= scripts/with-postgres.sh scripts/bench-state.sh $(CAIRN_RELEASE)
	@scripts/bench-signatures.sh $(CAIRN_RELEASE)

# signedPromotions over 10,000 assignment tags next to the same registry unsigned: make bench-signatures [BENCH_ARTIFACTS=N]
bench-signatures: release
	@scripts/bench-signatures.sh $(CAIRN_RELEASE)

# SQLite and PostgreSQL side by side (PostgreSQL's default settings): make bench-state [BENCH_AUDIT_RECORDS=N]
bench-state: deps-postgres release
	@POSTGRES_OPTIONS= scripts/with-postgres.sh scripts/bench-state.sh $(CAIRN_RELEASE)

# cairn serve under wrk (Debian's, installed when missing): make bench-serve [BENCH_SECONDS=S BENCH_CONNECTIONS=N];
# then, on the 10,000-artifact registry, a pushed promotion + webhook until the new version is served, and the RSS.
bench-serve: release
	@scripts/install-deps.sh wrk
	@scripts/bench-serve.sh $(CAIRN_RELEASE)
	@scripts/bench-serve-sync.sh $(CAIRN_RELEASE)

# Two binaries interleaved on one generated registry: make bench-compare OLD=path/to/old/cairn
bench-compare: release
	@scripts/bench-compare.sh $(OLD) $(CAIRN_RELEASE)

# GTO from PyPI in .venv-gto; checks that cairn and GTO read each other's tags the same way.
interop: build
	@scripts/interop.sh $(CAIRN_DEBUG)

clean:
	rm -rf .build .venv-gto
