# iotagent-mqtt: the dojot MQTT IoT-agent in Swift.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
APT_PACKAGES := libssl-dev librdkafka-dev librocksdb-dev libcurl4-openssl-dev pkg-config mosquitto mosquitto-clients kcat openssl curl python3 python3-venv prometheus chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release test run smoke bench clean format lint

# Installs the system packages only when one is missing (apt-get needs root).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

release: deps
	$(SWIFT) build -c release

# Serially: about 4 minutes here. In parallel the suite takes 30 s but its many brokers, bridges and
# Kafka clusters compete for two cores, and connection timings then fail now and then.
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	python3 scripts/conformance_table.py --check
	@scripts/validate-deploy.sh
	@scripts/smoke.sh

run: deps
	@scripts/run.sh

# make run in the background, one message each way over mutual TLS, Ctrl-C, nothing left over.
smoke: deps
	@scripts/smoke.sh

bench: deps
	@scripts/bench.sh

clean:
	rm -rf .build

# The code's layout, as .swift-format says (the toolchain's swift-format); make test fails on a difference.
format:
	$(SWIFT) format format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# Dockerfile, compose file and Kubernetes manifests, checked without Docker or kubectl.
.PHONY: validate-deploy
validate-deploy:
	@scripts/validate-deploy.sh
