//! `edgetube-spin-host`: a conformance harness for the Spin interfaces the Edgetube component
//! imports — not Spin. It serves one component of a `spin.toml` on loopback over wasmtime:
//! WASI 0.2 and `wasi:http` from wasmtime-wasi(-http), `fermyon:spin/sqlite` and `key-value` on
//! rusqlite, `fermyon:spin/variables` from `SPIN_VARIABLE_*` or a file, outbound HTTP limited to
//! `allowed_outbound_hosts` (and `*.spin.internal` chained back to the harness), and the
//! `[[trigger.cron]]` components of Spin's cron trigger plugin on their schedules. For
//! development and tests; `spin up` runs the same manifest.

mod cron;
mod files;
mod kv;
mod manifest;
mod outbound;
mod sqlite;
mod state;
mod variables;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::state::{HostState, SpinState};

mod bindings {
    //! Host bindings of the Spin interfaces in `wit/spin.wit`.
    wasmtime::component::bindgen!({
        path: "wit",
        world: "edgetube:spin-host/host",
        with: {
            "fermyon:spin/sqlite.connection": crate::sqlite::Connection,
            "fermyon:spin/key-value.store": crate::kv::Store,
        },
    });
}

/// Serves a Spin HTTP component on loopback (a harness for tests and development, not Spin).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The application manifest.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// Where to listen: a loopback address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Folder for the SQLite databases (`<name>.db`) and the key-value stores (`key_value.db`).
    #[arg(long, default_value = ".spin-host")]
    state_dir: PathBuf,
    /// A file of `name=value` lines for application variables (`SPIN_VARIABLE_*` wins over it).
    #[arg(long)]
    variables_file: Option<PathBuf>,
    /// Replaces `[[trigger.cron]]` schedules (tests, development): `N` fires every trigger every
    /// N seconds, `COMPONENT=N` that component's trigger (wins over `N`). Repeatable.
    #[arg(long, value_name = "[COMPONENT=]N")]
    cron_every_seconds: Vec<String>,
    /// Appends a line per answered request to this file (`POST /path 200 (12ms)`, the shape of
    /// `wrangler dev`'s request log), so tests can count requests without a log line each on
    /// the console.
    #[arg(long)]
    request_log: Option<PathBuf>,
}

struct Server {
    /// `spin.toml`'s file routes (`files.rs`), answered before the component.
    file_mounts: Vec<(String, PathBuf)>,
    pre: ProxyPre<HostState>,
    spin: Arc<SpinState>,
    hooks: outbound::AllowedHosts,
    request_log: Option<std::sync::Mutex<std::fs::File>>,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        bail!("{}: this harness listens on loopback only", args.listen);
    }
    let manifest = manifest::Manifest::load(&args.manifest)?;
    let app_variables = variables::Resolved::application(&manifest, args.variables_file.as_deref())?;
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("creating {}", args.state_dir.display()))?;
    let cron_components: Vec<&str> = manifest.cron.iter().map(|c| c.component.id.as_str()).collect();
    let overrides = cron::Overrides::parse(&args.cron_every_seconds, &cron_components)?;

    let started = Instant::now();
    let engine = Engine::new(&Config::new())?;
    let component = Component::from_file(&engine, &manifest.http.source)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("loading {}", manifest.http.source.display()))?;
    let compiled = started.elapsed();
    let mut linker = Linker::<HostState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::Host_::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)?;
    let pre = ProxyPre::new(linker.instantiate_pre(&component)?)?;
    tracing::info!(
        component = %manifest.http.source.display(),
        compile_ms = compiled.as_millis() as u64,
        ready_ms = started.elapsed().as_millis() as u64,
        "component ready"
    );

    let listener = TcpListener::bind(args.listen).await?;
    // Service chaining (`http://<component>.spin.internal`) comes back to this listener.
    let chaining = Arc::new(outbound::Chaining {
        listener: listener.local_addr()?,
        http_components: vec![manifest.http.id.clone()],
    });
    let spin_state = |component: &manifest::Component| -> Result<Arc<SpinState>> {
        Ok(Arc::new(SpinState {
            databases: sqlite::Databases {
                dir: args.state_dir.clone(),
                allowed: component.sqlite_databases.clone(),
            },
            stores: kv::Stores {
                file: args.state_dir.join("key_value.db"),
                allowed: component.key_value_stores.clone(),
            },
            variables: variables::Resolved::component(component, &app_variables)?,
        }))
    };
    let hooks = |component: &manifest::Component| outbound::AllowedHosts {
        patterns: Arc::new(component.allowed_outbound_hosts.clone()),
        chaining: chaining.clone(),
    };

    // The cron components: each wasm compiled once, however many triggers run it.
    let mut cron_wasm: Vec<(PathBuf, Component)> = Vec::new();
    let mut triggers = Vec::new();
    for trigger in &manifest.cron {
        let source = &trigger.component.source;
        let wasm = match cron_wasm.iter().find(|(path, _)| path == source) {
            Some((_, wasm)) => wasm.clone(),
            None => {
                let wasm = Component::from_file(&engine, source)
                    .map_err(anyhow::Error::from)
                    .with_context(|| format!("loading {}", source.display()))?;
                cron_wasm.push((source.clone(), wasm.clone()));
                wasm
            }
        };
        let schedule = overrides.schedule(&trigger.component.id, &trigger.cron_expression)?;
        tracing::info!(component = trigger.component.id, %schedule, "cron trigger");
        triggers.push(cron::Trigger {
            component: trigger.component.id.clone(),
            schedule,
            pre: cron::bindings::SpinCronPre::new(linker.instantiate_pre(&wasm)?)?,
            spin: spin_state(&trigger.component)?,
            hooks: hooks(&trigger.component),
        });
    }

    let request_log = match &args.request_log {
        Some(path) => Some(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        )),
        None => None,
    };
    let server = Arc::new(Server {
        file_mounts: manifest.file_mounts.clone(),
        pre,
        spin: spin_state(&manifest.http)?,
        hooks: hooks(&manifest.http),
        request_log,
    });
    // Tests wait for this line.
    println!("edgetube-spin-host listening on http://{}", listener.local_addr()?);
    for trigger in triggers {
        tokio::task::spawn(trigger.run());
    }
    loop {
        let (client, _) = listener.accept().await?;
        let server = server.clone();
        tokio::task::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = server.clone();
                async move { server.handle(request).await }
            });
            if let Err(e) =
                http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(client), service).await
            {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

impl Server {
    /// One line of the `--request-log`; a failed write is reported, never fatal.
    fn log_request(&self, method: &hyper::Method, path: &str, status: u16, head_ms: u64) {
        use std::io::Write;
        let Some(log) = &self.request_log else { return };
        let written = log
            .lock()
            .map_err(|_| std::io::Error::other("request log lock poisoned"))
            .and_then(|mut file| writeln!(file, "{method} {path} {status} ({head_ms}ms)"));
        if let Err(e) = written {
            tracing::warn!("cannot write the request log: {e}");
        }
    }

    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let started = Instant::now();
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        if let Some(file) = files::resolve(&self.file_mounts, &path) {
            return Ok(files::serve(file).await);
        }
        let mut store = Store::new(self.pre.engine(), HostState::new(self.hooks.clone(), self.spin.clone()));
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        // The instance runs on after the response head is sent (streamed bodies, the outbox
        // drain that follows every request).
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, out).await
        });
        match receiver.await {
            Ok(Ok(response)) => {
                let (status, head_ms) = (response.status().as_u16(), started.elapsed().as_millis() as u64);
                tracing::debug!(%method, path, status, head_ms, "served");
                self.log_request(&method, &path, status, head_ms);
                Ok(response)
            }
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let e = match task.await {
                    Ok(Ok(())) => anyhow::anyhow!("the component never set a response"),
                    Ok(Err(e)) => e.into(),
                    Err(e) => e.into(),
                };
                tracing::error!(%method, path, "request failed: {e:?}");
                Err(e)
            }
        }
    }
}
