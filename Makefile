# The two set-up commands of the README. Both install what they need first.
.PHONY: dev test build

# Starts a local instance (wrangler dev's local D1/KV/R2) on 127.0.0.1:$EDGETUBE_PORT.
dev:
	@bash scripts/dev.sh

# Runs the whole test suite: format, lints, the wasm32-wasip2 build of the core, unit and end-to-end tests.
test:
	@bash scripts/test.sh

build:
	@bash scripts/setup.sh && bash scripts/build-worker.sh
