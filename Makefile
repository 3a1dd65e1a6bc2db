# Tickwire: the two commands are `make run` (server + playable demo on http://127.0.0.1:8080/) and `make test`.
SHELL := /bin/bash
GO ?= go

.PHONY: run test deps deps-web deps-browser build-web vet unit race allocs fuzz web-test e2e generate docs load

run: deps-web build-web
	$(GO) run ./server/cmd/tickwire $(ARGS)

# Every test: vet, Go tests with the race detector, the allocation tests without it (the race detector allocates and
# its sync.Pool drops a random share of what is put back, so they skip themselves under -race), a short run of every
# fuzz target, the web SDK's unit tests, the
# stale checks of generated code and of the demo and package builds, and the browser end-to-end tests in Debian's
# chromium (the demo, the SDK package installed from its tarball into a plain page, and docs/quickstart.md followed
# step by step in an empty folder).
test: deps vet race allocs fuzz web-test e2e

deps: deps-browser deps-web
	$(GO) mod download

deps-web:
	cd client-web && npm ci --no-audit --no-fund

deps-browser:
	@command -v chromium >/dev/null || { apt-get update && apt-get install -y -o DPkg::Lock::Timeout=300 chromium; }

build-web:
	cd client-web && npm run build

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

race:
	CI=$${CI:-1} $(GO) test -race -count=1 ./...

allocs:
	$(GO) test -count=1 -run 'Allocs|AllocatesNothing|DoesNotAllocate' ./...

fuzz:
	./.ci/fuzz.sh 10000x

web-test:
	cd client-web && npm run typecheck && npm test && npm run build
	test -z "$$(git status --porcelain -- client-web/dist client-web/lib)" || { git status --short -- client-web/dist client-web/lib; echo "client-web/dist or client-web/lib is stale: run make build-web and commit them"; exit 1; }

e2e:
	cd client-web && npm run e2e

generate:
	$(GO) generate ./proto

# docs/reference/ from the code: the protocol (proto/tickwire.proto's comments, through buf), the Go API (go doc -all of
# game, server, tools/client) and the TypeScript API (the SDK's declaration files in client-web/lib). Commit the
# result: a test (tools/docgen, run by `make test`) fails when it is stale.
docs:
	@test -x client-web/node_modules/.bin/buf || $(MAKE) deps-web
	$(GO) run ./tools/docgen

# The documented load run: server pinned to CPU 0, bots to CPU 1 (see README).
load:
	./tools/loadrun.sh 500 1000 2000
