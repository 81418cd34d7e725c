//! Per-request store data: WASI, WASI HTTP (with the outbound-host rules) and the Spin state.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::Stores;
use crate::outbound::AllowedHosts;
use crate::sqlite::Databases;
use crate::variables::Resolved;

/// What every request's instance shares: where its stores are and what it may reach.
#[derive(Debug)]
pub struct SpinState {
    pub databases: Databases,
    pub stores: Stores,
    pub variables: Resolved,
}

/// The data of one request's `Store`.
pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub hooks: AllowedHosts,
    pub table: ResourceTable,
    pub spin: Arc<SpinState>,
}

impl HostState {
    /// The data of a fresh instance (one per request or cron event, as Spin makes them): stdout
    /// and stderr go to the host's, outbound HTTP under `hooks`' rules.
    pub fn new(hooks: AllowedHosts, spin: Arc<SpinState>) -> Self {
        Self {
            wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            hooks,
            table: ResourceTable::new(),
            spin,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}
