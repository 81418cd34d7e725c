#!/usr/bin/env bash
# `make deploy`: deploys Edgetube to a Cloudflare account with wrangler, creating what
# wrangler.toml binds where it is missing. Idempotent: a second run creates nothing and only
# applies new D1 migrations and the new code. infra/README.md says what it creates and how to
# upgrade, back up and remove an instance.
#
#   CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ACCOUNT_ID=... bash scripts/deploy.sh --hostname video.example.org
#   bash scripts/deploy.sh --dry-run [--hostname ...]     # no credentials: the plan, and
#                                                         # `wrangler deploy --dry-run` of the bundle
#
# Options: --hostname NAME (or EDGETUBE_HOSTNAME), --dry-run, --no-build (use the bundle already
# in functions/cloudflare/build/). EDGETUBE_DEPLOY_DIR (default .wrangler/edgetube-deploy/<hostname>)
# holds the generated wrangler config and the 0600 file of the generated secrets.
# EDGETUBE_WRANGLER replaces the wrangler binary (the tests use a stub of the CLI), EDGETUBE_DOCKER
# the docker binary whose `docker info` tells whether container images can be built.
#
# Output is line-oriented so that it can be checked: `PLAN <kind> <name> ...` in a dry run,
# `EXISTS|CREATE|APPLY <kind> <name> ...` in a real one. Secret values are never printed, never
# passed on a command line (wrangler reads them on stdin), only written to the 0600 file.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# --help: the comment block at the top of this file.
usage() {
  sed -n '2,/^source /p' "$0" | grep '^#' | grep -v '^# shellcheck' | sed 's/^# \{0,1\}//'
}

dry_run=false
build=true
hostname="${EDGETUBE_HOSTNAME:-}"
while (($#)); do
  case "$1" in
    --dry-run) dry_run=true ;;
    --no-build) build=false ;;
    --hostname) [ $# -ge 2 ] || { echo "deploy.sh: --hostname needs a value" >&2; exit 2; }; hostname="$2"; shift ;;
    --hostname=*) hostname="${1#--hostname=}" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

WRANGLER="${EDGETUBE_WRANGLER:-wrangler}"
DOCKER="${EDGETUBE_DOCKER:-docker}"
TOML="$ROOT/wrangler.toml"
# wrangler asks before sending usage metrics; a deploy script should neither ask nor send.
export WRANGLER_SEND_METRICS=false

# The secrets the worker reads that this script generates when they are absent (names as in
# InstanceConfig::VARIABLES; tests/tests/deploy.rs checks them against the code).
SECRETS=(KEY_ENCRYPTION_SECRET ADMIN_PASSWORD RUNNER_REGISTRATION_TOKEN)
# Optional secrets and variables the operator sets by hand (infra/README.md): direct uploads to R2.
OPTIONAL=(R2_ACCOUNT_ID R2_BUCKET_NAME R2_ACCESS_KEY_ID R2_SECRET_ACCESS_KEY)

helper() { python3 "$ROOT/scripts/deploy-config.py" "$@"; }
fail() { echo "deploy.sh: $*" >&2; exit 1; }

# --- What is needed, and a clear refusal without it -------------------------------------------

if ! $dry_run; then
  missing=()
  [ -n "${CLOUDFLARE_API_TOKEN:-}" ] || missing+=(CLOUDFLARE_API_TOKEN)
  [ -n "${CLOUDFLARE_ACCOUNT_ID:-}" ] || missing+=(CLOUDFLARE_ACCOUNT_ID)
  [ -n "$hostname" ] || missing+=(EDGETUBE_HOSTNAME)
  if ((${#missing[@]})); then
    list="${missing[0]}"
    for name in "${missing[@]:1}"; do list+=", $name"; done
    {
      echo "deploy.sh: cannot deploy, missing: $list. Set them and run again:"
      for name in "${missing[@]}"; do
        case "$name" in
          CLOUDFLARE_API_TOKEN)
            echo "  export CLOUDFLARE_API_TOKEN=...   an API token (dash.cloudflare.com > My Profile > API Tokens): the"
            echo "                                    \"Edit Cloudflare Workers\" template plus D1 Edit and Queues Edit"
            echo "                                    (infra/README.md, \"The API token\")" ;;
          CLOUDFLARE_ACCOUNT_ID)
            echo "  export CLOUDFLARE_ACCOUNT_ID=...  the account's id (dashboard sidebar, or: npx wrangler whoami)" ;;
          EDGETUBE_HOSTNAME)
            echo "  export EDGETUBE_HOSTNAME=video.example.org   (or --hostname video.example.org): the public"
            echo "                                    hostname, in a zone of that account; https://<hostname> becomes"
            echo "                                    the instance's permanent origin" ;;
        esac
      done
      echo "To see what it would do, without any of them: bash scripts/deploy.sh --dry-run"
    } >&2
    exit 1
  fi
fi
if $dry_run && [ -z "$hostname" ]; then
  hostname="edgetube.example"
  echo "deploy.sh: no hostname given; planning with $hostname" >&2
fi
# A bare DNS name: it becomes https://<hostname>, which every ActivityPub id is built from.
[[ "$hostname" =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]] \
  || fail "the hostname must be a bare DNS name such as video.example.org, not \"$hostname\" (no scheme, port or path)"
hostname="${hostname,,}"
origin="https://$hostname"

command -v python3 >/dev/null || fail "python3 is needed to read wrangler.toml (bash scripts/setup.sh installs it)"
command -v "$WRANGLER" >/dev/null || fail "wrangler is not installed: run bash scripts/setup.sh (make deploy does)"

# --- The resources, from wrangler.toml -----------------------------------------------------------

resources="$(helper resources "$TOML")"
worker_name="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["name"])' "$TOML")"
# Lines of one kind, tab-separated fields (deploy-config.py's `resources`).
of_kind() { awk -F'\t' -v k="$1" '$1 == k' <<<"$resources"; }

# Container images (a `containers` section: the transcoding runners on demand) are built by
# wrangler deploy with Docker, also in a dry run. Checked before anything is created: without
# Docker a dry run checks the rest, and a real run stops here.
containers_without_docker=false
if grep -q "^other	containers	" <<<"$resources" && ! "$DOCKER" info >/dev/null 2>&1; then
  containers_without_docker=true
  $dry_run || fail "wrangler.toml declares [[containers]] (the runners on demand), whose image wrangler deploy builds with Docker, and Docker is not available ($DOCKER info failed). Start a Docker daemon, or remove the [[containers]] section and set RUNNER_MAX_INSTANCES to 0 to deploy without them (infra/README.md)"
fi

if $dry_run; then
  deploy_dir="$(mktemp -d "${TMPDIR:-/tmp}/edgetube-deploy-dry-run.XXXXXX")"
  trap 'rm -rf "$deploy_dir"' EXIT
else
  deploy_dir="${EDGETUBE_DEPLOY_DIR:-$ROOT/.wrangler/edgetube-deploy/$hostname}"
  (umask 077 && mkdir -p "$deploy_dir")
fi
generated="$deploy_dir/wrangler.json"
secrets_file="$deploy_dir/secrets.env"

# Runs wrangler on the account; its chatter goes to stderr so that stdout stays the plan/report.
# Its stdin is closed: it must never wait for an answer (and must not eat the loops' input).
wr() { "$WRANGLER" "$@" </dev/null >&2; }
# Runs wrangler for its stdout (listings).
wr_out() { "$WRANGLER" "$@" </dev/null; }

say() { echo "$@"; }
# PLAN lines in a dry run; in a real run the step's outcome (EXISTS/CREATE/APPLY) is printed instead.
plan() { $dry_run && say "PLAN $*"; return 0; }

# --- Build -----------------------------------------------------------------------------------

bundle="$ROOT/functions/cloudflare/build/index.js"
if $build; then
  plan build worker-bundle "bash scripts/build-worker.sh -> functions/cloudflare/build/"
else
  plan build worker-bundle "skipped (--no-build): the bundle already in functions/cloudflare/build/"
fi
if $build; then
  bash "$ROOT/scripts/build-worker.sh" >&2
fi
[ -f "$bundle" ] || fail "no worker bundle at $bundle: run bash scripts/build-worker.sh (or drop --no-build)"

# --- R2 buckets ------------------------------------------------------------------------------

existing_buckets=""
if ! $dry_run && [ -n "$(of_kind r2)" ]; then
  existing_buckets="$(wr_out r2 bucket list | helper r2-buckets)"
fi
while IFS=$'\t' read -r _ bucket binding; do
  plan r2 "$bucket" "binding=$binding (wrangler r2 bucket list, r2 bucket info; wrangler r2 bucket create $bucket if absent)"
  $dry_run && continue
  # The listing is one page of the account's buckets; `info` settles the rest.
  if grep -qxF "$bucket" <<<"$existing_buckets" || wr_out r2 bucket info "$bucket" --json >/dev/null 2>&1; then
    say "EXISTS r2 $bucket"
  else
    say "CREATE r2 $bucket"
    wr r2 bucket create "$bucket"
  fi
done < <(of_kind r2)

# --- D1 databases --------------------------------------------------------------------------

ids=()
d1_list=""
if ! $dry_run && [ -n "$(of_kind d1)" ]; then
  d1_list="$(wr_out d1 list --json)"
fi
while IFS=$'\t' read -r _ database binding migrations; do
  count="$(find "$ROOT/$migrations" -maxdepth 1 -name '*.sql' | wc -l)"
  plan d1 "$database" "binding=$binding (wrangler d1 list --json; wrangler d1 create $database if absent)"
  plan d1-migrations "$database" "$count files in $migrations (wrangler d1 migrations apply $binding --remote; applies only new ones)"
  if $dry_run; then
    continue
  fi
  id="$(helper find-id d1 "$database" <<<"$d1_list")"
  if [ -n "$id" ]; then
    say "EXISTS d1 $database $id"
  else
    say "CREATE d1 $database"
    wr d1 create "$database"
    id="$(wr_out d1 list --json | helper find-id d1 "$database")"
    [ -n "$id" ] || fail "wrangler d1 create $database succeeded but the database is not listed"
  fi
  ids+=("d1:$database=$id")
done < <(of_kind d1)

# --- KV namespaces -------------------------------------------------------------------------

kv_list=""
if ! $dry_run && [ -n "$(of_kind kv)" ]; then
  kv_list="$(wr_out kv namespace list)"
fi
while IFS=$'\t' read -r _ title binding; do
  plan kv "$title" "binding=$binding (wrangler kv namespace list; wrangler kv namespace create $title if absent)"
  $dry_run && continue
  id="$(helper find-id kv "$title" <<<"$kv_list")"
  if [ -n "$id" ]; then
    say "EXISTS kv $title $id"
  else
    say "CREATE kv $title"
    wr kv namespace create "$title"
    id="$(wr_out kv namespace list | helper find-id kv "$title")"
    [ -n "$id" ] || fail "wrangler kv namespace create $title succeeded but the namespace is not listed"
  fi
  ids+=("kv:$title=$id")
done < <(of_kind kv)

# --- Queues (producers, consumers and their dead-letter queues) ----------------------------

while IFS=$'\t' read -r _ queue roles; do
  plan queue "$queue" "${roles//,/ } (wrangler queues info $queue; wrangler queues create $queue if absent)"
  $dry_run && continue
  # `queues list` shows one page; `queues info` looks the name up and says when it does not exist.
  # It prints the first queue the API's name filter returns, so the name is compared too.
  if info="$(wr_out queues info "$queue" 2>&1)" && grep -qxF "Queue Name: $queue" <<<"$info"; then
    say "EXISTS queue $queue"
  elif grep -q "does not exist" <<<"$info" || grep -q "^Queue Name: " <<<"$info"; then
    say "CREATE queue $queue"
    wr queues create "$queue"
  else
    echo "$info" >&2
    fail "wrangler queues info $queue failed (output above)"
  fi
done < <(of_kind queue)

# --- R2 event notifications (originals -> the jobs queue) ----------------------------------

while IFS=$'\t' read -r _ bucket event prefix queue; do
  plan r2-notification "$bucket" "event=$event prefix=$prefix queue=$queue (wrangler r2 bucket notification list $bucket; create if absent)"
  $dry_run && continue
  if wr_out r2 bucket notification list "$bucket" | helper has-notification "$queue" "$prefix" "$event"; then
    say "EXISTS r2-notification $bucket $prefix $queue"
  else
    say "CREATE r2-notification $bucket $prefix $queue"
    wr r2 bucket notification create "$bucket" --event-type "$event" --queue "$queue" --prefix "$prefix"
  fi
done < <(of_kind notification)

# --- What `wrangler deploy` sets up from the configuration -----------------------------------

while IFS=$'\t' read -r _ binding class; do
  plan durable-object "$binding" "class=$class (wrangler deploy)"
done < <(of_kind durable-object)
while IFS=$'\t' read -r _ tag details; do
  plan do-migration "$tag" "$details (wrangler deploy applies the new tags)"
done < <(of_kind do-migration)
while IFS=$'\t' read -r _ cron; do
  plan cron "$cron"
done < <(of_kind cron)
while IFS=$'\t' read -r _ key summary; do
  plan binding "$key" "$summary (wrangler deploy)"
done < <(of_kind other)
plan custom-domain "$hostname" "routes = [{ pattern = \"$hostname\", custom_domain = true }] (wrangler deploy; DNS record and certificate)"
plan var PUBLIC_ORIGIN "$origin"
while IFS=$'\t' read -r _ name value; do
  plan var "$name" "$value"
done < <(of_kind var)

# --- The generated configuration, then migrations and code ---------------------------------

# Container images (a `containers` section) are built by wrangler deploy with Docker, also in a
# dry run. Without Docker a dry run checks the rest; a real run cannot deploy them.
if $containers_without_docker; then
  plan note "no Docker here: wrangler deploy --dry-run below leaves out [[containers]] (a real run builds their images)"
  ids+=(--without-containers)
fi
# A dry run has no ids: the generated config keeps the placeholders of wrangler.toml.
helper generate "$TOML" "$generated" "$hostname" ${ids[@]+"${ids[@]}"}
plan config "${EDGETUBE_DEPLOY_DIR:-.wrangler/edgetube-deploy/$hostname}/wrangler.json" "wrangler.toml with the ids, PUBLIC_ORIGIN=$origin and the custom domain"

while IFS=$'\t' read -r _ database binding _; do
  plan command "wrangler d1 migrations apply $binding --remote --config <generated>"
  $dry_run && continue
  say "APPLY d1-migrations $database"
  wr d1 migrations apply "$binding" --remote --config "$generated"
done < <(of_kind d1)

plan command "wrangler deploy --config <generated>"
if $dry_run; then
  outdir="$deploy_dir/dist"
  if ! "$WRANGLER" deploy --dry-run --outdir "$outdir" --config "$generated" </dev/null >"$deploy_dir/dry-run.log" 2>&1; then
    cat "$deploy_dir/dry-run.log" >&2
    fail "wrangler deploy --dry-run failed (output above)"
  fi
  size="$(grep -o 'Total Upload: .*' "$deploy_dir/dry-run.log" | head -n 1 || true)"
  # The bindings wrangler itself read from the generated config ("env.DB (edgetube)  D1 Database").
  bound="$(sed -n 's/^env\.\([A-Za-z0-9_]*\) .*/\1/p' "$deploy_dir/dry-run.log" | paste -sd, -)"
  say "PASS wrangler deploy --dry-run --outdir <tmp> ${size:-} bindings=${bound}"
else
  say "APPLY deploy $worker_name"
  wr deploy --config "$generated"
fi

# --- Secrets: generated once, kept in a 0600 file, never printed ---------------------------

# A value for each generated secret, in the shape the instance expects.
generate_secret() {
  local hex
  case "$1" in
    KEY_ENCRYPTION_SECRET) hex=32 ;; # 256 bits; losing it makes every actor's private key unreadable
    ADMIN_PASSWORD) hex=12 ;;
    RUNNER_REGISTRATION_TOKEN) hex=16 ;;
    *) fail "no generator for the secret $1" ;;
  esac
  local value
  value="$(head -c "$hex" /dev/urandom | od -An -tx1 | tr -d ' \n')"
  [ "$1" = RUNNER_REGISTRATION_TOKEN ] && value="ptrrt-$value"
  printf '%s' "$value"
}
saved_secret() { [ -f "$secrets_file" ] && sed -n "s/^$1=//p" "$secrets_file" | head -n 1; return 0; }

existing_secrets=""
if ! $dry_run; then
  existing_secrets="$(wr_out secret list --config "$generated" | helper secret-names)"
  (umask 077 && touch "$secrets_file")
  chmod 600 "$secrets_file"
fi
generated_now=()
for name in "${SECRETS[@]}"; do
  plan secret "$name" "generated and stored with wrangler secret put (value on stdin) if wrangler secret list lacks it; kept in <deploy dir>/secrets.env (0600)"
  $dry_run && continue
  if grep -qxF "$name" <<<"$existing_secrets"; then
    say "EXISTS secret $name"
    continue
  fi
  value="$(saved_secret "$name")"
  if [ -z "$value" ]; then
    value="$(generate_secret "$name")"
    # Saved before it is stored, so that a failure in between cannot lose it.
    printf '%s=%s\n' "$name" "$value" >>"$secrets_file"
    generated_now+=("$name")
  fi
  say "CREATE secret $name"
  printf '%s' "$value" | "$WRANGLER" secret put "$name" --config "$generated" >&2
  unset value
done
for name in "${OPTIONAL[@]}"; do
  plan optional "$name" "not set by this script: direct uploads to R2 (infra/README.md)"
done

if $dry_run; then
  say "DONE dry run: nothing was created; a real run needs CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and --hostname"
  exit 0
fi

admin_note="in $secrets_file (ADMIN_PASSWORD=...)"
if [[ " ${generated_now[*]} " == *" ADMIN_PASSWORD "* ]]; then
  admin_note="generated now, saved only in $secrets_file (ADMIN_PASSWORD=...)"
elif [ -z "$(saved_secret ADMIN_PASSWORD)" ]; then
  admin_note="set by an earlier deploy from another machine (not in $secrets_file)"
fi
cat <<INFO

DONE Edgetube is deployed at $origin
  Admin login: root / the password $admin_note
  Secrets file (0600; back it up, KEY_ENCRYPTION_SECRET cannot be read back from Cloudflare): $secrets_file
  Runners register with RUNNER_REGISTRATION_TOKEN from that file:
    transcode-runner run --url $origin --registration-token "\$(sed -n 's/^RUNNER_REGISTRATION_TOKEN=//p' $secrets_file)"
  Upgrade: run this again (it creates nothing new; it applies new migrations and the new code).
INFO
