# The three commands of the README. Each installs what it needs first.
.PHONY: dev test deploy build

# Starts a local instance (wrangler dev's local D1/KV/R2) on 127.0.0.1:$EDGETUBE_PORT.
dev:
	@bash scripts/dev.sh

# Runs the whole test suite: format, lints, the wasm32-wasip2 build of the core, unit and end-to-end tests.
test:
	@bash scripts/test.sh

# Deploys to Cloudflare: needs CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and EDGETUBE_HOSTNAME
# (infra/README.md). `make deploy DEPLOY_ARGS=--dry-run` shows the plan without them.
deploy:
	@bash scripts/setup.sh && bash scripts/deploy.sh $(DEPLOY_ARGS)

build:
	@bash scripts/setup.sh && bash scripts/build-worker.sh
