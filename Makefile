# session-mock. `make run` serves the bundled default scenario; `make test` runs every test.
SHELL := /bin/bash
PORT ?= 8080
SWIFT_BUILD_FLAGS ?=
VENV := .venv
SHARED ?= ../shared

.PHONY: clock-check run test deps build release swift-test conformance bundled-files generated-check seed-schema lint-docker image image-test connect-client grpc-client grpc-go http2-abuse zitadel-sdk swift-protos stamp openapi foundation-check

# Swift sources that `format` and `lint` cover: scripts/swift_files.sh.
SWIFT_FILES = $(shell bash scripts/swift_files.sh)
.PHONY: format lint imports doc-links

# Installs libmicrohttpd's, libnghttp2's, zlib's and GnuTLS's headers when pkg-config cannot find them, and protoc
# (generated-check regenerates the protos) when it is missing (Debian/Ubuntu).
deps:
	@if ! pkg-config --exists libmicrohttpd libnghttp2 zlib gnutls 2>/dev/null || ! command -v protoc >/dev/null; then \
		echo "installing libmicrohttpd-dev, libnghttp2-dev, zlib1g-dev, libgnutls28-dev, pkg-config and protobuf-compiler"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libmicrohttpd-dev libnghttp2-dev zlib1g-dev libgnutls28-dev pkg-config protobuf-compiler; \
	fi

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

run: build
	swift run session-mock serve --port $(PORT)

test: deps generated-check seed-schema clock-check swift-test foundation-check conformance openapi connect-client grpc-client grpc-go http2-abuse zitadel-sdk lint-docker lint doc-links

# SwiftPM refuses imports from outside a target's dependency closure; scripts/check_imports.py
# also refuses imports its direct dependencies do not list.
swift-test: imports
	swift test --explicit-target-dependency-import-check error $(SWIFT_BUILD_FLAGS)

imports:
	python3 scripts/check_imports.py

# The executable links FoundationEssentials only: full Foundation would bring CoreFoundation and ICU.
# Only the scenario clock reads the wall clock for an answer, only ScenarioRandom draws a copy's
# randomness (what stays on wall time, and why, is listed in the script).
clock-check:
	python3 scripts/check_clock.py

foundation-check: build
	SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/check_no_foundation.sh

# The default scenario and the control API's OpenAPI are compiled into the binary; this regenerates those
# copies (Sources/Seeds/BundledSeeds.swift, Sources/SessionMock/Control/BundledOpenAPI.swift).
bundled-files:
	python3 scripts/bundle_seeds.py

# Every committed generated file (bundled-files' and swift-protos' output) is what its generator makes now.
generated-check:
	VENV=$(VENV) bash scripts/check_generated.sh

# Schemathesis against the vendors' own specs, limited to the two mocked operations.
conformance: build
	bash scripts/conformance.sh

# Seeds/seed.schema.json accepts the bundled scenarios and refuses broken ones.
seed-schema: $(VENV)/.jsonschema
	$(VENV)/bin/python scripts/check_seed_schema.py

$(VENV)/.jsonschema:
	[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check jsonschema==4.26.0
	touch $@

# hadolint on docker/Dockerfile and `docker-compose config` on docker/compose.yaml (no engine needed).
lint-docker:
	bash scripts/lint-docker.sh

# Builds session-mock:local from docker/Dockerfile: docker build when an engine answers, else buildah
# (root) with local stand-ins for the base images (docker/README.md). image-test runs it from its own config.
image:
	bash scripts/image.sh

image-test:
	bash scripts/image-test.sh

# Release metadata into the binary: make stamp VERSION=1.2.3 (COMMIT defaults to git HEAD).
stamp:
	bash scripts/stamp_build.sh "$(VERSION)" $(COMMIT)

# connectrpc 0.13.0 (the Connect project's Python client) calls GetSession over Connect JSON, Connect proto and gRPC-Web.
connect-client: build
	VENV=$(VENV) SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/connect_client_check.sh

grpc-client: build
	VENV=$(VENV) SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/grpc_client_check.sh

# grpc-go 1.33 (Debian's golang-google-grpc-dev; zitadel-go's stack) calls GetSession through a raw-bytes codec,
# the error rows and a deadline, health and reflection v1alpha (scripts/grpc_go/main.go).
grpc-go: build
	SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/grpc_go_check.sh

# Rapid reset, SETTINGS/PING floods, an HPACK bomb, a peer that never reads, idle and half-preface connections
# (h2 on raw sockets, server run with --idle-timeout 2): each ends that connection only, the server lives on.
http2-abuse: build
	VENV=$(VENV) SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/http2_abuse_check.sh

zitadel-sdk: build
	VENV=$(VENV) SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" bash scripts/zitadel_sdk_check.sh

# swift-format (ships with the toolchain) with .swift-format: `format` rewrites in place, `lint` fails on any finding.
format:
	@swift format format --in-place --parallel $(SWIFT_FILES)

lint:
	@swift format lint --strict --parallel $(SWIFT_FILES)

# Regenerates the committed Swift (and the Connect client check's Python stubs) from proto/
# (needs protoc: apt-get install protobuf-compiler); the protos are listed in scripts/generate_proto.sh.
swift-protos:
	VENV=$(VENV) bash scripts/generate_proto.sh

# The control API's OpenAPI (served at /__admin/openapi.yaml): validated, then schemathesis against the server.
openapi: build
	bash scripts/check_openapi.sh

# Every relative link and #anchor in README.md, CONTRIBUTING.md and docs/*.md resolves.
doc-links:
	python3 scripts/check_doc_links.py
