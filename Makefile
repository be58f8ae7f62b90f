# governance: the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
BIN_DEBUG = .build/debug/governance
BIN_RELEASE = .build/release/governance

.PHONY: all deps build release demo test test-sanitize ci-extra fuzz bench install generate clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

# Release builds link the Swift runtime, libstdc++, libcrypto, libsqlite3 and libyaml statically:
# resolving their symbols at every start was half of a `scope check` (scripts/static-libs.sh).
release: deps
	PKG_CONFIG_PATH=$$(scripts/static-libs.sh $(CURDIR)/.build-static) $(SWIFT) build -c release --static-swift-stdlib -Xlinker -L$(CURDIR)/.build-static --product governance
	PKG_CONFIG_PATH=$$(scripts/static-libs.sh $(CURDIR)/.build-static) $(SWIFT) build -c release --static-swift-stdlib -Xlinker -L$(CURDIR)/.build-static --product governance-bench

# A short governed agent session on the embedded store, in a throwaway GOVERNANCE_HOME.
demo: release
	@scripts/demo.sh $(BIN_RELEASE)

# Every test, against SQLite files and a throwaway PostgreSQL cluster; then the end-to-end tests
# again against the optimised release binary, which is what `make install` ships.
test: deps
	@scripts/deps.sh --python
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory release
	scripts/with-postgres.sh scripts/run-tests.sh $$(pwd)/$(BIN_DEBUG) $$(pwd)/$(BIN_RELEASE)

# The suite under ThreadSanitizer and AddressSanitizer, the instrumented binary as the tool under
# test (.build-tsan, .build-asan). SANITIZERS=thread for one; SANITIZE_FILTER=REGEX for some suites.
test-sanitize: deps
	SANITIZE_FILTER='$(SANITIZE_FILTER)' scripts/with-postgres.sh scripts/test-sanitize.sh $(or $(SANITIZERS),thread address)

# What CI runs besides `make test` (.ci/run): ThreadSanitizer over the concurrent suites (batch,
# spool, tail, gates, kill, exec and its budget reservations) and each fuzz target for 20 s. The MCP
# proxy's threads run only in its end-to-end suite (MCPProxyTests, driven by Python MCP clients),
# left to `make test`; its core tests (MCPMessageTests) run on one thread.
CONCURRENT_SUITES = BatchAppendTests|BatchInputTests|SpoolTests|AuditDepthTests|OperationsCoreTests|OperationsAttackTests|GateTests|OperatorTests|PresenceTests|EnforcementTests|ExecCommandTests|ExecBudgetTests
ci-extra:
	$(MAKE) --no-print-directory test-sanitize SANITIZERS=thread SANITIZE_FILTER='$(CONCURRENT_SUITES)'
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer, the package in fuzz/): each target for
# FUZZ_SECONDS (default 60); FUZZ_TARGETS="json api-url" for some. Prints runs and coverage.
fuzz: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) fuzz/run.sh

# Speed: each figure beside a baseline measured in the same run (QUICK=1 for a smaller run,
# ONLY=batch,verify for some sections: batch, batch-memory, verify, one-process, enforcement,
# compliance, exec, startup). PREVIOUS=PATH: an earlier release binary whose start-up instructions
# the startup section counts beside this one's (valgrind's callgrind).
bench: release
	scripts/with-postgres.sh .build/release/governance-bench $(BIN_RELEASE) $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY)) $(if $(PREVIOUS),--previous $(PREVIOUS))

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN_RELEASE) $(DESTDIR)$(PREFIX)/bin/governance
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0644 completions/governance.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/governance
	install -m 0644 completions/_governance $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_governance
	install -m 0644 completions/governance.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/governance.fish

# Regenerates the committed man pages, completions and exit-code table from the command table
# (a test fails when they are out of date). It installs nothing: the system libraries are `make deps`'s.
generate:
	$(SWIFT) build --product governance-docs
	.build/debug/governance-docs .

clean:
	rm -rf .build
