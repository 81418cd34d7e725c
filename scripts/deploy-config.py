#!/usr/bin/env python3
"""What scripts/deploy.sh provisions, read from wrangler.toml, and the parsing it needs.

The deploy script is bash; this helper does what bash does badly: reading TOML and JSON. The
resource list comes from wrangler.toml itself, so a binding added there shows up in the deploy
plan (and is provisioned, for the kinds wrangler cannot create by itself) without editing the
deploy script.

Subcommands:
  resources TOML            one tab-separated line per thing to provision or check (see below)
  find-id KIND NAME         the id of the D1 database / KV namespace NAME in wrangler's JSON
                            listing on stdin (KIND: d1 or kv); prints nothing when absent
  secret-names              the names in `wrangler secret list` JSON on stdin, one a line
  r2-buckets                the bucket names in `wrangler r2 bucket list` output on stdin
  has-notification QUEUE PREFIX EVENT
                            exits 0 when `wrangler r2 bucket notification list` output on
                            stdin has a rule sending EVENT under PREFIX to QUEUE
  generate TOML OUT HOSTNAME [d1:NAME=ID | kv:TITLE=ID]...
                            writes the deploy configuration (JSON, which wrangler reads like
                            its TOML) with the ids filled in (the toml's where none is given), PUBLIC_ORIGIN=https://HOSTNAME,
                            the hostname as a custom domain, and paths made absolute;
                            --without-containers among the ids drops [[containers]]

Lines of `resources` (kind first):
  r2 BUCKET BINDING
  d1 DATABASE BINDING MIGRATIONS_DIR
  kv TITLE BINDING
  queue NAME ROLES                  roles: producer=BINDING, consumer, dead-letter-of=QUEUE
  notification BUCKET EVENT PREFIX QUEUE
  durable-object BINDING CLASS
  do-migration TAG DETAILS
  cron EXPRESSION
  var NAME VALUE
  other KEY SUMMARY                 any other binding or section wrangler deploy sets up itself
"""

import json
import os
import re
import sys
import tomllib

# wrangler.toml has no syntax for R2 event notification rules, so they are declared here, by
# binding name, and resolved to the bucket and queue the toml binds. Only originals make jobs:
# the runner's outputs (hls/, thumbnails/, ...) must not trigger (edgetube_media::runner_jobs::
# UPLOADS_PREFIX; tests/tests/deploy.rs checks the two agree).
NOTIFICATIONS = [
    {"bucket_binding": "MEDIA", "event": "object-create", "prefix": "uploads/", "queue_binding": "JOBS"},
]

# Top-level keys handled explicitly, or that are settings rather than bindings.
KNOWN_KEYS = {
    "name", "main", "compatibility_date", "compatibility_flags", "vars", "d1_databases",
    "kv_namespaces", "r2_buckets", "queues", "durable_objects", "migrations", "triggers",
    "routes", "route", "workers_dev", "preview_urls", "build", "dev", "limits", "observability",
    "placement", "minify", "keep_vars", "logpush", "upload_source_maps", "no_bundle", "rules",
    "find_additional_modules", "base_dir", "preserve_file_names", "account_id", "env",
}

# The instance's public origin: everything else in [vars] is deployed as the toml says.
ORIGIN_VAR = "PUBLIC_ORIGIN"


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def kv_title(config, binding):
    # KV namespaces have no name in wrangler.toml, only a binding and an id: the title used to
    # find ours again on the next run is derived from the worker's name.
    return f"{config['name']}-{binding.lower()}"


def queue_names(config):
    """Every queue the toml names, each with its roles, in a stable order."""
    roles = {}
    queues = config.get("queues", {})
    for producer in queues.get("producers", []):
        roles.setdefault(producer["queue"], []).append(f"producer={producer['binding']}")
    for consumer in queues.get("consumers", []):
        roles.setdefault(consumer["queue"], []).append("consumer")
        dlq = consumer.get("dead_letter_queue")
        if dlq:
            roles.setdefault(dlq, []).append(f"dead-letter-of={consumer['queue']}")
    return roles


def resources(path):
    config = load(path)
    out = []
    for bucket in config.get("r2_buckets", []):
        out.append(("r2", bucket["bucket_name"], bucket["binding"]))
    for db in config.get("d1_databases", []):
        out.append(("d1", db["database_name"], db["binding"], db.get("migrations_dir", "migrations")))
    for ns in config.get("kv_namespaces", []):
        out.append(("kv", kv_title(config, ns["binding"]), ns["binding"]))
    for name, roles in queue_names(config).items():
        out.append(("queue", name, ",".join(roles)))
    buckets = {b["binding"]: b["bucket_name"] for b in config.get("r2_buckets", [])}
    producers = {p["binding"]: p["queue"] for p in config.get("queues", {}).get("producers", [])}
    for rule in NOTIFICATIONS:
        bucket = buckets.get(rule["bucket_binding"])
        queue = producers.get(rule["queue_binding"])
        if bucket is None or queue is None:
            sys.exit(f"deploy-config.py: the notification rule names {rule['bucket_binding']} and "
                     f"{rule['queue_binding']}, which {path} does not bind")
        out.append(("notification", bucket, rule["event"], rule["prefix"], queue))
    for do in config.get("durable_objects", {}).get("bindings", []):
        out.append(("durable-object", do["name"], do["class_name"]))
    for migration in config.get("migrations", []):
        details = " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                           for k, v in migration.items() if k != "tag")
        out.append(("do-migration", migration["tag"], details))
    for cron in config.get("triggers", {}).get("crons", []):
        out.append(("cron", cron))
    for name, value in config.get("vars", {}).items():
        if name != ORIGIN_VAR:
            out.append(("var", name, value if isinstance(value, str) else json.dumps(value)))
    for key, value in config.items():
        if key not in KNOWN_KEYS:
            out.append(("other", key, json.dumps(value, separators=(",", ":"))))
    for line in out:
        print("\t".join(str(field) for field in line))


def json_from(text):
    """wrangler's JSON, skipping any banner or log lines printed before it."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for i, line in enumerate(text.splitlines()):
        if line.startswith(("[", "{")):
            return json.loads("\n".join(text.splitlines()[i:]))
    sys.exit(f"deploy-config.py: expected JSON from wrangler, got:\n{text[:2000]}")


def find_id(kind, name):
    items = json_from(sys.stdin.read())
    for item in items:
        if kind == "d1" and item.get("name") == name:
            print(item.get("uuid") or item["database_id"])
            return
        if kind == "kv" and item.get("title") == name:
            print(item["id"])
            return


def secret_names():
    for item in json_from(sys.stdin.read()):
        print(item["name"])


def plain(text):
    """wrangler's labelled output without its colours (it colours only terminals, but be safe)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def r2_buckets():
    # `wrangler r2 bucket list` prints one block per bucket: "name: <bucket>" then its
    # creation date (formatLabelledValues in wrangler 4.86.0).
    for match in re.finditer(r"^name:\s*(\S+)\s*$", plain(sys.stdin.read()), re.M):
        print(match.group(1))


def has_notification(queue, prefix, event):
    # `wrangler r2 bucket notification list` prints one block per rule, labelled rule_id,
    # created_at, queue_name, prefix, suffix, event_type ("PutObject,CompleteMultipartUpload,
    # CopyObject" for object-create) (tableFromNotificationGetResponse in wrangler 4.86.0).
    text = plain(sys.stdin.read())
    actions = {"object-create": "PutObject", "object-delete": "DeleteObject"}[event]
    for block in re.split(r"\n\s*\n", text):
        fields = dict(
            (k.strip().lower(), v.strip())
            for k, v in (line.split(":", 1) for line in block.splitlines() if ":" in line)
        )
        if (fields.get("queue_name") == queue
                and fields.get("prefix") == prefix
                and actions in fields.get("event_type", "").split(",")):
            sys.exit(0)
    sys.exit(1)


def generate(path, out, hostname, ids):
    config = load(path)
    base = os.path.dirname(os.path.abspath(path))
    # A dry run without Docker: `wrangler deploy --dry-run` builds container images (wrangler
    # 4.86.0 checks for Docker first), so the check of everything else leaves them out.
    if "--without-containers" in ids:
        ids = [item for item in ids if item != "--without-containers"]
        config.pop("containers", None)
    given = dict(item.split("=", 1) for item in ids)

    def absolute(p):
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))

    config["main"] = absolute(config["main"])
    for db in config.get("d1_databases", []):
        # A dry run has no ids: it keeps the toml's placeholders.
        db["database_id"] = given.get(f"d1:{db['database_name']}", db.get("database_id"))
        db["migrations_dir"] = absolute(db.get("migrations_dir", "migrations"))
    for ns in config.get("kv_namespaces", []):
        ns["id"] = given.get(f"kv:{kv_title(config, ns['binding'])}", ns.get("id"))
    if "assets" in config and "directory" in config["assets"]:
        config["assets"]["directory"] = absolute(config["assets"]["directory"])
    for container in config.get("containers", []):
        image = container.get("image", "")
        if image.startswith(".") or image.endswith("Dockerfile"):
            container["image"] = absolute(image)
        if "image_build_context" in container:
            container["image_build_context"] = absolute(container["image_build_context"])
    config.setdefault("vars", {})[ORIGIN_VAR] = f"https://{hostname}"
    # One public origin: every ActivityPub id is built from PUBLIC_ORIGIN, so the worker is not
    # also served on workers.dev or preview URLs.
    config["routes"] = [{"pattern": hostname, "custom_domain": True}]
    config.pop("route", None)
    config["workers_dev"] = False
    config["preview_urls"] = False
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    command, args = argv[1], argv[2:]
    if command == "resources":
        resources(*args)
    elif command == "find-id":
        find_id(*args)
    elif command == "secret-names":
        secret_names()
    elif command == "r2-buckets":
        r2_buckets()
    elif command == "has-notification":
        has_notification(*args)
    elif command == "generate":
        generate(args[0], args[1], args[2], args[3:])
    else:
        sys.exit(f"deploy-config.py: unknown command {command}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
