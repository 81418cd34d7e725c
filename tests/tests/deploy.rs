//! `scripts/deploy.sh`, the Cloudflare deployment, checked without a Cloudflare account:
//!
//! - its dry run (no credentials) plans every resource `wrangler.toml` binds, every binding name
//!   the Worker's code reads, the R2 event notification of originals and the secrets the core
//!   requires, and `wrangler deploy --dry-run` of the real bundle passes;
//! - without credentials or a hostname it refuses, saying what is missing and how to set it;
//! - against a stub of the `wrangler` CLI (`tests/deploy/wrangler-stub`, which records its
//!   arguments and stdin and keeps what it "created"), a first run creates everything, a second
//!   creates nothing and only applies migrations and code, and no generated secret is printed;
//! - a binding added to `wrangler.toml` joins the plan without editing the script.
//!
//! The bundle is the one `scripts/test.sh` builds before the tests (`--no-build`).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{ensure, Context, Result};
use edgetube_domain::{ConfigError, InstanceConfig};
use edgetube_e2e::repo_root;
use serde_json::Value;

const HOSTNAME: &str = "video.example.org";

/// Runs `bash scripts/deploy.sh ARGS` from the repository root with only the given Cloudflare
/// variables (the caller's own are removed, so a developer's real token is never used here).
fn deploy(args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
    let mut command = Command::new("bash");
    command.arg("scripts/deploy.sh").args(args).current_dir(repo_root()).stdin(Stdio::null());
    for name in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_ACCOUNT_ID",
        "EDGETUBE_HOSTNAME",
        "EDGETUBE_WRANGLER",
        "EDGETUBE_DOCKER",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().context("running scripts/deploy.sh")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `wrangler.toml` as JSON, read by python3's tomllib (which the deploy script uses too; the
/// checks below are this test's own).
fn wrangler_toml() -> Result<Value> {
    let output = Command::new("python3")
        .args(["-c", "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))"])
        .arg(repo_root().join("wrangler.toml"))
        .output()?;
    ensure!(output.status.success(), "reading wrangler.toml: {}", text(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn array<'a>(value: &'a Value, pointer: &str) -> Vec<&'a Value> {
    value.pointer(pointer).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

fn str_at<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value[key].as_str().with_context(|| format!("{key} in {value}"))
}

/// The plan's lines by kind: `PLAN <kind> <name> <details>` → kind → name → details.
fn plan_of(stdout: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut plan: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in stdout.lines().filter_map(|l| l.strip_prefix("PLAN ")) {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        // A cron expression has spaces: the whole rest of its line is its name.
        let (name, details) =
            if kind == "cron" { (rest, "") } else { rest.split_once(' ').unwrap_or((rest, "")) };
        plan.entry(kind.to_owned()).or_default().insert(name.to_owned(), details.to_owned());
    }
    plan
}

/// The binding names `functions/cloudflare/src/bindings.rs` declares (`pub const X: &str = "X";`).
fn code_binding_names() -> Result<Vec<String>> {
    let source = std::fs::read_to_string(repo_root().join("functions/cloudflare/src/bindings.rs"))?;
    let names: Vec<String> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_owned)
        .collect();
    ensure!(names.len() >= 6, "found only {names:?} in bindings.rs; has its form changed?");
    Ok(names)
}

/// Binding names the Worker's code passes as string literals to `env.d1("…")` and friends,
/// instead of through `bindings.rs`.
fn literal_binding_names() -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(repo_root().join("functions/cloudflare/src"))? {
        let source = std::fs::read_to_string(entry?.path())?;
        for getter in [".d1(\"", ".kv(\"", ".bucket(\"", ".queue(\"", ".durable_object(\"", ".service(\""] {
            for (at, _) in source.match_indices(getter) {
                if let Some(name) = source[at + getter.len()..].split('"').next() {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    Ok(names)
}

/// The variables the core cannot start without: `InstanceConfig::from_vars` asked with nothing,
/// then with each name it reported missing set to a valid value, until it starts.
fn required_variables() -> Result<Vec<&'static str>> {
    let mut vars = BTreeMap::new();
    let mut required = Vec::new();
    for _ in 0..InstanceConfig::VARIABLES.len() {
        match InstanceConfig::from_vars(&vars) {
            Ok(_) => return Ok(required),
            Err(ConfigError::Missing(name)) => {
                required.push(name);
                let value =
                    if name == "PUBLIC_ORIGIN" { format!("https://{HOSTNAME}") } else { "x".repeat(64) };
                vars.insert(name.to_owned(), value);
            }
            Err(other) => anyhow::bail!("a valid stand-in value was refused: {other}"),
        }
    }
    anyhow::bail!("InstanceConfig::from_vars kept asking for more: {required:?}")
}

#[test]
fn the_dry_run_plans_what_the_toml_and_the_code_bind_and_wrangler_accepts_the_bundle() -> Result<()> {
    let output = deploy(&["--dry-run", "--no-build", "--hostname", HOSTNAME], &[])?;
    let stdout = text(&output.stdout);
    ensure!(output.status.success(), "the dry run failed:\n{stdout}\n{}", text(&output.stderr));
    // `wrangler deploy --dry-run` passed, and the bindings wrangler itself read from the
    // generated configuration.
    let wrangler_bound: BTreeSet<&str> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PASS wrangler deploy --dry-run"))
        .with_context(|| format!("wrangler deploy --dry-run did not pass:\n{stdout}"))?
        .rsplit_once("bindings=")
        .context("no bindings= on the PASS line")?
        .1
        .split(',')
        .collect();
    let plan = plan_of(&stdout);
    let has = |kind: &str, name: &str| plan.get(kind).and_then(|names| names.get(name));
    let missing = std::cell::RefCell::new(Vec::new());
    let expect = |kind: &str, name: &str, detail: &str| {
        if !has(kind, name).is_some_and(|details| details.contains(detail)) {
            missing.borrow_mut().push(format!("PLAN {kind} {name} …{detail}…"));
        }
    };

    // Everything wrangler.toml binds.
    let toml = wrangler_toml()?;
    for bucket in array(&toml, "/r2_buckets") {
        expect("r2", str_at(bucket, "bucket_name")?, &format!("binding={}", str_at(bucket, "binding")?));
    }
    for db in array(&toml, "/d1_databases") {
        expect("d1", str_at(db, "database_name")?, &format!("binding={}", str_at(db, "binding")?));
        expect("d1-migrations", str_at(db, "database_name")?, "--remote");
    }
    for ns in array(&toml, "/kv_namespaces") {
        let binding = str_at(ns, "binding")?;
        let planned =
            plan.get("kv").into_iter().flatten().any(|(_, d)| d.contains(&format!("binding={binding} ")));
        if !planned {
            missing.borrow_mut().push(format!("PLAN kv … binding={binding}"));
        }
    }
    for producer in array(&toml, "/queues/producers") {
        expect("queue", str_at(producer, "queue")?, &format!("producer={}", str_at(producer, "binding")?));
    }
    for consumer in array(&toml, "/queues/consumers") {
        let queue = str_at(consumer, "queue")?;
        expect("queue", queue, "consumer");
        if let Some(dlq) = consumer["dead_letter_queue"].as_str() {
            expect("queue", dlq, &format!("dead-letter-of={queue}"));
        }
    }
    for object in array(&toml, "/durable_objects/bindings") {
        expect(
            "durable-object",
            str_at(object, "name")?,
            &format!("class={}", str_at(object, "class_name")?),
        );
    }
    for migration in array(&toml, "/migrations") {
        expect("do-migration", str_at(migration, "tag")?, "");
    }
    for cron in array(&toml, "/triggers/crons") {
        expect("cron", cron.as_str().context("cron")?, "");
    }
    for name in toml["vars"].as_object().context("[vars]")?.keys().filter(|n| *n != "PUBLIC_ORIGIN") {
        expect("var", name, "");
    }
    expect("var", "PUBLIC_ORIGIN", &format!("https://{HOSTNAME}"));
    expect("custom-domain", HOSTNAME, "custom_domain = true");

    // The storage events of originals (and only those) go to the queue the Worker consumes.
    let media = array(&toml, "/r2_buckets")
        .into_iter()
        .find(|b| b["binding"] == "MEDIA")
        .context("no MEDIA bucket in wrangler.toml")?;
    let consumed: Vec<&str> =
        array(&toml, "/queues/consumers").iter().filter_map(|c| c["queue"].as_str()).collect();
    let rule =
        has("r2-notification", str_at(media, "bucket_name")?).context("no PLAN r2-notification for MEDIA")?;
    ensure!(rule.contains("event=object-create"), "the rule must be on object-create: {rule}");
    ensure!(
        rule.contains(&format!("prefix={} ", edgetube_media::runner_jobs::UPLOADS_PREFIX)),
        "the rule's prefix must be the originals' ({}): {rule}",
        edgetube_media::runner_jobs::UPLOADS_PREFIX
    );
    ensure!(
        consumed.iter().any(|q| rule.contains(&format!("queue={q} "))),
        "the rule must feed a consumed queue: {rule}"
    );

    // Every binding the Worker's code reads is planned.
    let planned_bindings: BTreeSet<String> = plan
        .values()
        .flat_map(|names| names.iter())
        .flat_map(|(name, details)| {
            let mut found: Vec<String> = details
                .split([' ', ','])
                .filter_map(|w| w.strip_prefix("binding=").or_else(|| w.strip_prefix("producer=")))
                .map(str::to_owned)
                .collect();
            found.push(name.clone());
            found
        })
        .collect();
    for name in code_binding_names()?.into_iter().chain(literal_binding_names()?) {
        if !planned_bindings.contains(&name) {
            missing.borrow_mut().push(format!("the binding {name} the code reads"));
        }
        if !wrangler_bound.contains(name.as_str()) {
            missing.borrow_mut().push(format!("the binding {name} in wrangler's own dry-run bindings"));
        }
    }

    // The secrets: each required variable of the core is a planned secret or variable, the
    // runner registration token is generated, and every planned name is one the code reads.
    let secrets: BTreeSet<&str> = plan.get("secret").into_iter().flatten().map(|(n, _)| n.as_str()).collect();
    let vars: BTreeSet<&str> = plan.get("var").into_iter().flatten().map(|(n, _)| n.as_str()).collect();
    for name in required_variables()? {
        if !secrets.contains(name) && !vars.contains(name) {
            missing.borrow_mut().push(format!("the required variable {name}"));
        }
    }
    for name in ["KEY_ENCRYPTION_SECRET", "ADMIN_PASSWORD", "RUNNER_REGISTRATION_TOKEN"] {
        if !secrets.contains(name) {
            missing.borrow_mut().push(format!("PLAN secret {name}"));
        }
    }
    let missing = missing.into_inner();
    ensure!(missing.is_empty(), "the plan lacks:\n{}\nplan:\n{stdout}", missing.join("\n"));
    // The runners-on-demand settings are the Cloudflare shell's (runner_fleet.rs), not the core's.
    let fleet = std::fs::read_to_string(repo_root().join("functions/cloudflare/src/runner_fleet.rs"))?;
    for name in secrets.iter().chain(&vars) {
        ensure!(
            InstanceConfig::VARIABLES.contains(name) || fleet.contains(&format!("read(\"{name}\")")),
            "the plan sets {name}, which neither the core nor the runner fleet reads"
        );
    }
    let cloudflare_config = std::fs::read_to_string(repo_root().join("functions/cloudflare/src/config.rs"))?;
    for name in plan.get("optional").into_iter().flatten().map(|(n, _)| n) {
        ensure!(
            cloudflare_config.contains(&format!("\"{name}\"")),
            "the optional {name} is not read by the Worker"
        );
    }
    // Local-only switches stay off in a deployment.
    for local in ["EMULATE_R2_NOTIFICATIONS", "EMULATE_STORAGE_EVENTS", "BENCH_ENDPOINTS", "ALLOW_HTTP"] {
        ensure!(!vars.contains(local) && !secrets.contains(local), "the plan sets the local-only {local}");
    }

    // The Durable Object classes the toml names are exported by the bundle wrangler deploys
    // (esbuild's `export{Pe as RateLimiterObject,…}`, or `export class X` unminified).
    let bundle = std::fs::read_to_string(repo_root().join("functions/cloudflare/build/index.js"))
        .context("no worker bundle: scripts/test.sh builds it (bash scripts/build-worker.sh)")?;
    let exported: BTreeSet<&str> = bundle
        .split("export{")
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .flat_map(|list| list.split(','))
        .map(|item| item.rsplit(" as ").next().unwrap_or(item).trim())
        .collect();
    for object in array(&toml, "/durable_objects/bindings") {
        let class = str_at(object, "class_name")?;
        ensure!(
            exported.contains(class) || bundle.contains(&format!("export class {class} ")),
            "the bundle exports no class {class}: {exported:?}"
        );
    }
    Ok(())
}

/// The variables given, and the names the refusal must report missing.
type RefusalCase = (&'static [(&'static str, &'static str)], &'static [&'static str]);

#[test]
fn it_refuses_without_credentials_or_hostname() -> Result<()> {
    let stub_dir = tempfile::tempdir()?;
    let stub = install_stub(stub_dir.path())?;
    let stub = stub.to_str().context("path")?;
    let cases: [RefusalCase; 3] = [
        (&[], &["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "EDGETUBE_HOSTNAME"]),
        (&[("CLOUDFLARE_API_TOKEN", "t")], &["CLOUDFLARE_ACCOUNT_ID", "EDGETUBE_HOSTNAME"]),
        (&[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_ACCOUNT_ID", "a")], &["EDGETUBE_HOSTNAME"]),
    ];
    for (given, named) in cases {
        let mut env = given.to_vec();
        env.push(("EDGETUBE_WRANGLER", stub));
        env.push(("WRANGLER_STUB_DIR", stub_dir.path().to_str().context("path")?));
        let output = deploy(&["--no-build"], &env)?;
        let stderr = text(&output.stderr);
        ensure!(!output.status.success(), "it ran with only {given:?}:\n{stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        ensure!(first.starts_with("deploy.sh: cannot deploy, missing:"), "unclear refusal:\n{stderr}");
        for name in named {
            ensure!(first.contains(name), "the refusal does not name {name}:\n{stderr}");
            ensure!(
                stderr.contains(&format!("export {name}=")),
                "the refusal does not say how to set {name}:\n{stderr}"
            );
        }
        for (name, _) in given {
            ensure!(!first.contains(name), "{name} was given but reported missing:\n{stderr}");
        }
        ensure!(stderr.contains("--dry-run"), "the refusal does not point to the dry run:\n{stderr}");
    }
    let output = deploy(
        &["--no-build", "--hostname", "https://video.example.org/"],
        &[("CLOUDFLARE_API_TOKEN", "t"), ("CLOUDFLARE_ACCOUNT_ID", "a"), ("EDGETUBE_WRANGLER", stub)],
    )?;
    ensure!(!output.status.success(), "it took a URL as the hostname");
    ensure!(text(&output.stderr).contains("bare DNS name"), "unclear refusal: {}", text(&output.stderr));
    ensure!(!stub_dir.path().join("calls.log").exists(), "wrangler was called before the refusal");
    Ok(())
}

/// Copies the stub to `dir/wrangler` and returns its path.
fn install_stub(dir: &Path) -> Result<std::path::PathBuf> {
    let stub = dir.join("bin/wrangler");
    std::fs::create_dir_all(dir.join("bin"))?;
    std::fs::copy(repo_root().join("tests/deploy/wrangler-stub"), &stub)?;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755))?;
    Ok(stub)
}

/// The stub's recorded calls since `from` (one line of arguments each).
fn calls(stub_dir: &Path, from: usize) -> Result<Vec<String>> {
    let log = std::fs::read_to_string(stub_dir.join("calls.log")).unwrap_or_default();
    Ok(log.lines().skip(from).map(str::to_owned).collect())
}

#[test]
fn a_real_run_against_a_stubbed_wrangler_creates_once_and_prints_no_secret() -> Result<()> {
    let stub_dir = tempfile::tempdir()?;
    let stub = install_stub(stub_dir.path())?;
    let deploy_dir = stub_dir.path().join("deploy");
    let env = [
        ("CLOUDFLARE_API_TOKEN", "fake-token"),
        ("CLOUDFLARE_ACCOUNT_ID", "fake-account"),
        ("EDGETUBE_HOSTNAME", HOSTNAME),
        ("EDGETUBE_WRANGLER", stub.to_str().context("path")?),
        ("WRANGLER_STUB_DIR", stub_dir.path().to_str().context("path")?),
        ("EDGETUBE_DEPLOY_DIR", deploy_dir.to_str().context("path")?),
    ];
    let toml = wrangler_toml()?;
    let generated = deploy_dir.join("wrangler.json");
    let generated_path = generated.clone();
    let generated = generated.to_str().context("path")?;

    // [[containers]] without Docker: refused before anything is created.
    let no_docker: Vec<(&str, &str)> = env.iter().copied().chain([("EDGETUBE_DOCKER", "false")]).collect();
    let refused = deploy(&["--no-build"], &no_docker)?;
    ensure!(!refused.status.success(), "it deployed [[containers]] without Docker");
    ensure!(text(&refused.stderr).contains("Docker is not available"), "unclear: {}", text(&refused.stderr));
    ensure!(calls(stub_dir.path(), 0)?.is_empty(), "wrangler was called before the Docker refusal");
    // From here on `docker info` succeeds (`true info`); the stubbed wrangler builds nothing.
    let env: Vec<(&str, &str)> = env.iter().copied().chain([("EDGETUBE_DOCKER", "true")]).collect();

    // First run: everything is created.
    let first = deploy(&["--no-build"], &env)?;
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    ensure!(first.status.success(), "the first run failed:\n{stdout}\n{stderr}");
    let made = calls(stub_dir.path(), 0)?;
    let mut expected: Vec<String> = Vec::new();
    for bucket in array(&toml, "/r2_buckets") {
        expected.push(format!("r2 bucket create {}", str_at(bucket, "bucket_name")?));
    }
    for db in array(&toml, "/d1_databases") {
        expected.push(format!("d1 create {}", str_at(db, "database_name")?));
        expected
            .push(format!("d1 migrations apply {} --remote --config {generated}", str_at(db, "binding")?));
    }
    for ns in array(&toml, "/kv_namespaces") {
        expected.push(format!(
            "kv namespace create {}-{}",
            str_at(&toml, "name")?,
            str_at(ns, "binding")?.to_lowercase()
        ));
    }
    let mut queues: BTreeSet<&str> =
        array(&toml, "/queues/producers").iter().filter_map(|p| p["queue"].as_str()).collect();
    queues.extend(array(&toml, "/queues/consumers").iter().filter_map(|c| c["dead_letter_queue"].as_str()));
    for queue in &queues {
        expected.push(format!("queues create {queue}"));
    }
    expected.push(format!(
        "r2 bucket notification create edgetube-media --event-type object-create --queue edgetube-jobs --prefix {}",
        edgetube_media::runner_jobs::UPLOADS_PREFIX
    ));
    expected.push(format!("deploy --config {generated}"));
    for name in ["KEY_ENCRYPTION_SECRET", "ADMIN_PASSWORD", "RUNNER_REGISTRATION_TOKEN"] {
        expected.push(format!("secret put {name} --config {generated}"));
    }
    for call in &expected {
        ensure!(
            made.contains(call),
            "the first run did not call `wrangler {call}`; calls:\n{}",
            made.join("\n")
        );
    }
    // The runner image is built from the repository root, wherever wrangler runs from.
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&generated_path)?)?;
    for container in array(&config, "/containers") {
        let (image, context) = (str_at(container, "image")?, str_at(container, "image_build_context")?);
        ensure!(Path::new(image).is_absolute() && Path::new(image).is_file(), "image {image}");
        ensure!(Path::new(context).join("Cargo.lock").is_file(), "build context {context}");
    }
    ensure!(!array(&config, "/containers").is_empty(), "the generated config lost [[containers]]");
    ensure!(stdout.contains(&format!("https://{HOSTNAME}")), "no instance URL printed:\n{stdout}");
    ensure!(stdout.contains("Admin login: root"), "no admin login printed:\n{stdout}");
    // Migrations before the code that needs them, resources before the deploy that binds them.
    let position = |prefix: &str| made.iter().position(|c| c.starts_with(prefix));
    ensure!(
        position("d1 migrations apply") < position("deploy ")
            && position("queues create") < position("deploy "),
        "wrong order:\n{}",
        made.join("\n")
    );

    // The generated configuration: the ids wrangler reported, the origin, the custom domain.
    let config: Value = serde_json::from_str(&std::fs::read_to_string(generated)?)?;
    ensure!(
        config["vars"]["PUBLIC_ORIGIN"] == format!("https://{HOSTNAME}"),
        "PUBLIC_ORIGIN: {}",
        config["vars"]
    );
    ensure!(
        config["routes"][0]["pattern"] == HOSTNAME && config["routes"][0]["custom_domain"] == true,
        "routes"
    );
    let stub_state = |file: &str| std::fs::read_to_string(stub_dir.path().join(file)).unwrap_or_default();
    for db in array(&config, "/d1_databases") {
        let id = str_at(db, "database_id")?;
        ensure!(
            !id.starts_with("0000") && stub_state("d1").contains(id),
            "D1 id {id} is not the created one"
        );
        ensure!(Path::new(str_at(db, "migrations_dir")?).is_absolute(), "migrations_dir must be absolute");
    }
    for ns in array(&config, "/kv_namespaces") {
        let id = str_at(ns, "id")?;
        ensure!(
            !id.starts_with("0000") && stub_state("kv").contains(id),
            "KV id {id} is not the created one"
        );
    }
    ensure!(Path::new(str_at(&config, "main")?).is_absolute(), "main must be absolute");
    let committed = std::fs::read_to_string(repo_root().join("wrangler.toml"))?;
    ensure!(committed.contains("00000000-0000-0000-0000-000000000000"), "wrangler.toml itself was changed");

    // The secrets: stored through stdin, kept in a 0600 file, printed nowhere.
    let secrets_file = deploy_dir.join("secrets.env");
    let mode = std::fs::metadata(&secrets_file)?.permissions().mode() & 0o777;
    ensure!(mode == 0o600, "the secrets file has mode {mode:o}");
    let saved = std::fs::read_to_string(&secrets_file)?;
    let stdin_seen = stub_state("stdin.log");
    let values: Vec<(&str, &str)> = saved.lines().filter_map(|l| l.split_once('=')).collect();
    ensure!(values.len() == 3, "expected three generated secrets, got {}", values.len());
    for (name, value) in &values {
        ensure!(value.len() >= 16, "{name} is too short");
        ensure!(stdin_seen.contains(&format!("{name}={value}\n")), "wrangler did not get {name} on stdin");
        ensure!(!stdout.contains(value) && !stderr.contains(value), "{name}'s value was printed");
        ensure!(!made.iter().any(|c| c.contains(value)), "{name}'s value was on a command line");
    }
    ensure!(
        values.iter().find(|(n, _)| *n == "KEY_ENCRYPTION_SECRET").is_some_and(|(_, v)| v.len() >= 32),
        "KEY_ENCRYPTION_SECRET must have at least 32 characters"
    );

    // Second run: wrangler reports everything as existing; nothing is created or overwritten.
    let before = made.len();
    let second = deploy(&["--no-build"], &env)?;
    let (stdout2, stderr2) = (text(&second.stdout), text(&second.stderr));
    ensure!(second.status.success(), "the second run failed:\n{stdout2}\n{stderr2}");
    let again = calls(stub_dir.path(), before)?;
    let creating: Vec<&String> =
        again.iter().filter(|c| c.contains(" create") || c.starts_with("secret put")).collect();
    ensure!(creating.is_empty(), "the second run created {creating:?}");
    ensure!(
        !stdout2.lines().any(|l| l.starts_with("CREATE")),
        "the second run reports creations:\n{stdout2}"
    );
    for call in [
        format!("d1 migrations apply DB --remote --config {generated}"),
        format!("deploy --config {generated}"),
    ] {
        ensure!(
            again.contains(&call),
            "the second run did not call `wrangler {call}`:\n{}",
            again.join("\n")
        );
    }
    ensure!(std::fs::read_to_string(&secrets_file)? == saved, "the second run changed the saved secrets");
    for (name, value) in &values {
        ensure!(
            !stdout2.contains(value) && !stderr2.contains(value),
            "{name}'s value was printed on the second run"
        );
    }
    Ok(())
}

#[test]
fn the_deploy_scripts_are_shellcheck_clean() -> Result<()> {
    let output = Command::new("shellcheck")
        .args(["-x", "scripts/deploy.sh", "tests/deploy/wrangler-stub"])
        .current_dir(repo_root())
        .output()
        .context("running shellcheck (bash scripts/setup.sh installs it)")?;
    ensure!(output.status.success(), "shellcheck:\n{}", text(&output.stdout));
    Ok(())
}

#[test]
fn a_binding_added_to_the_toml_joins_the_plan_without_editing_the_script() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut toml = std::fs::read_to_string(repo_root().join("wrangler.toml"))?;
    toml.push_str(
        r#"
[[kv_namespaces]]
binding = "EXTRA_KV"
id = "00000000000000000000000000000000"

[[r2_buckets]]
binding = "EXTRA_R2"
bucket_name = "edgetube-extra"

[[queues.producers]]
binding = "EXTRA_QUEUE"
queue = "edgetube-extra"

[[containers]]
class_name = "RunnerContainer"
image = "./transcode-runner/Dockerfile"
"#,
    );
    let path = dir.path().join("wrangler.toml");
    std::fs::write(&path, toml)?;
    let output = Command::new("python3")
        .arg(repo_root().join("scripts/deploy-config.py"))
        .arg("resources")
        .arg(&path)
        .output()?;
    ensure!(output.status.success(), "deploy-config.py resources: {}", text(&output.stderr));
    let lines = text(&output.stdout);
    for expected in [
        "kv\tedgetube-extra_kv\tEXTRA_KV",
        "r2\tedgetube-extra\tEXTRA_R2",
        "queue\tedgetube-extra\tproducer=EXTRA_QUEUE",
        "other\tcontainers\t",
    ] {
        ensure!(lines.lines().any(|l| l.starts_with(expected)), "no {expected:?} in:\n{lines}");
    }
    Ok(())
}
