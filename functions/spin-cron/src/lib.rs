//! Edgetube's Spin cron component: the scheduler of a Spin deployment.
//!
//! Spin has no Cron Triggers or queues, so the Edgetube component keeps its jobs in an SQL outbox
//! and runs them on `POST /_edgetube/tick` (see `functions/spin/src/tick.rs`). This component is
//! what calls that tick under Spin's cron trigger plugin (`[[trigger.cron]]` in `spin.toml`):
//! it exports the plugin's `handle-cron-event` (`wit/cron.wit`, `fermyon:spin-cron@2.0.0`) and
//! on each event posts the tick ([`tick`]) to the Edgetube component through Spin's local service
//! chaining. One wasm, two components in `spin.toml`: the drain every minute, and the
//! housekeeping (`housekeeping = "true"`) every ten minutes, the Worker's Cron Trigger schedule.

mod report;
mod tick;

/// The exported `handle-cron-event`. `export!` generates the component's ABI glue, which is
/// unsafe by nature; this module holds nothing else.
#[allow(unsafe_code)]
mod export {
    // The world's `use cron-types.{metadata, error}` brings `Metadata` and `Error` in here.
    wit_bindgen::generate!({ world: "spin-cron", path: "wit" });

    struct CronComponent;

    impl Guest for CronComponent {
        fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
            spin_sdk::http::run(super::tick::post()).map_err(|message| {
                // The trigger logs a failure too, but not under `edgetube-spin-host`'s words.
                eprintln!("cron tick failed: {message}");
                Error::Other(message)
            })
        }
    }

    export!(CronComponent);
}
