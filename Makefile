# OpenShift AI Connector for Red Hat Developer Hub.
# `make help` lists the targets.

SHELL        := /usr/bin/env bash
GO           ?= go
BIN          ?= bin
BINARIES     := location storage-rest rhoai-normalizer
ENVTEST_K8S  := 1.34.4
CACHE_HOME   ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
ENVTEST_DIR  ?= $(CACHE_HOME)/rhoai-connector/envtest-$(ENVTEST_K8S)
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT ?= $(CACHE_HOME)/rhoai-connector/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)
TEST_FLAGS   ?= -race -count=1
PKGS         ?= ./...
BENCH        ?= .
BENCHTIME    ?= 1x
FUZZTIME     ?= 20s
SOAK         ?= 20
SOAK_RUN     ?= TestConflictStorm

export KUBEBUILDER_ASSETS := $(ENVTEST_DIR)

.PHONY: help build test test-faults test-faults-soak fuzz unit lint envtest bench bench-provider bench-deps run-local e2e images clean tidy

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# What --version, the start-up log line and rhoai_connector_build_info
# report; "dev" and "unknown" outside a git checkout.
VERSION      ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION_PKG  := github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version

# The first build on a machine downloads and compiles every dependency
# (Kubernetes client, controller-runtime): about 8 to 11 minutes on
# 2 cores, with a line every 30 s; later builds take seconds.
build: ## Build static binaries into bin/ (VERSION and COMMIT from git).
	@mkdir -p $(BIN)
	@( n=0; while sleep 30; do n=$$((n+30)); echo "build: still compiling, $$n s so far (the first build on a machine takes about 8 to 11 minutes on 2 cores; later ones seconds)"; done ) & hb=$$!; \
	trap 'kill $$hb 2>/dev/null' EXIT; \
	for b in $(BINARIES); do \
	  if [ -d cmd/$$b ]; then \
	    echo "build $(BIN)/$$b $(VERSION)"; \
	    CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT)" -o $(BIN)/$$b ./cmd/$$b || exit 1; \
	  fi; \
	done

envtest: ## Get kube-apiserver and etcd for the integration tests once (setup-envtest, else a build from source).
	@hack/envtest/build.sh "$(ENVTEST_DIR)" "$(ENVTEST_K8S)"

test: envtest ## Run every test (unit and integration against a real kube-apiserver).
	$(GO) test $(TEST_FLAGS) $(PKGS)

test-faults: envtest ## Fault scenarios: the three binaries, a real kube-apiserver killed for a minute, a failing registry (about 6 minutes).
	$(GO) test -tags faults $(TEST_FLAGS) -timeout 30m -v ./test/faults/

test-faults-soak: envtest ## Run fault scenarios (SOAK_RUN, default the conflict storm) SOAK times in a row (default 20).
	$(GO) test -tags faults -race -count=$(SOAK) -failfast -timeout 4h -v -run '$(SOAK_RUN)' ./test/faults/

fuzz: envtest ## Run every fuzz target for FUZZTIME each (default 20s); the seed corpora run with `make test`.
	@FUZZTIME=$(FUZZTIME) hack/fuzz.sh

unit: ## Run the tests quickly, without the race detector.
	$(GO) test -count=1 $(PKGS)

# golangci-lint (.golangci.yml: gofmt, goimports, go vet, staticcheck,
# errcheck, revive, ...) at a pinned version, built once from the module
# proxy into the cache.
lint: $(GOLANGCI_LINT) ## Run golangci-lint (.golangci.yml; the fault scenarios included).
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	@echo "lint: installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(@D) (once per machine: it compiles from the module proxy, about 8 minutes on 2 cores)"
	@mkdir -p $(@D)
	@( n=0; while sleep 30; do n=$$((n+30)); echo "lint: still compiling golangci-lint, $$n s so far"; done ) & hb=$$!; \
	tmp=$$(mktemp -d); trap 'kill $$hb 2>/dev/null; rm -rf "$$tmp"' EXIT; \
	GOBIN=$$tmp $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) && \
	  mv "$$tmp/golangci-lint" $@

bench: envtest bench-deps ## Run the benchmarks (BENCH=regexp, BENCHTIME=1x|5s), the real-plugin provider runs included.
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem -timeout 3h $(PKGS)

# The published RHDH entity provider that test/provider drives, from the
# e2e's package-lock.json (npm ci once; needs Node.js 20+ and npm).
bench-deps:
	@test/e2e/npm-ci.sh --if-needed

bench-provider: bench-deps ## Real-plugin provider runs against location at 1,000/10,000/50,000 records (one size: BENCH=ProviderRun/records=10000).
	$(GO) test -run '^$$' -bench '$(if $(filter .,$(BENCH)),ProviderRun,$(BENCH))' -benchtime 1x -timeout 60m -v ./test/provider/

run-local: build envtest ## Run the connector locally on a sandbox (no cluster needed; sandbox flags in ARGS="...").
	@CGO_ENABLED=0 $(GO) build -o $(BIN)/sandbox ./hack/sandbox
	@$(BIN)/sandbox --bin $(BIN) --envtest $(ENVTEST_DIR) $(ARGS) || [ $$? -eq 130 ]

e2e: envtest ## End-to-end test against a real RHDH catalog (Backstage on PostgreSQL; needs Node 20+, npm, root for apt-get).
	@test/e2e/run.sh

images: ## Build the three images with podman, buildah or docker (local stand-ins for the base images).
	@hack/images/build.sh

clean: ## Remove built binaries (the envtest cache stays).
	rm -rf $(BIN)
