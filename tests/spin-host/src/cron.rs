//! `[[trigger.cron]]`, as Spin's cron trigger plugin runs it: each trigger's component is
//! instantiated on its schedule (six fields, seconds first) and its `handle-cron-event` export
//! (`functions/spin-cron/wit/cron.wit`) is called with the event's Unix time.
//!
//! `--cron-every-seconds` replaces schedules for tests and development, where a minute is too
//! long to wait: `N` fires every trigger every N seconds, `COMPONENT=N` one component's trigger
//! (it wins over `N`). A trigger runs one event at a time here: the next is planned after the
//! last one ends (the plugin starts each on time, even while the last still runs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use wasmtime::Store;

use crate::outbound::AllowedHosts;
use crate::state::{HostState, SpinState};

pub mod bindings {
    //! Host bindings of the cron trigger's world (`fermyon:spin-cron@2.0.0`), from the WIT the
    //! cron component is built against.
    wasmtime::component::bindgen!({
        path: "../../functions/spin-cron/wit",
        world: "fermyon:spin-cron/spin-cron",
        exports: { default: async },
    });
}

use bindings::fermyon::spin_cron::cron_types::{Error as CronError, Metadata};
use bindings::SpinCronPre;

/// When a trigger fires.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// The manifest's cron expression (boxed: a parsed one is some 300 bytes).
    Cron(Box<croner::Cron>),
    /// Every so often, from `--cron-every-seconds`.
    Every(Duration),
}

impl Schedule {
    /// A six-field cron expression (`sec min hour day-of-month month day-of-week`).
    pub fn parse(expression: &str) -> Result<Self> {
        let parser = CronParser::builder().seconds(Seconds::Required).build();
        let cron = parser
            .parse(expression)
            .map_err(|e| anyhow!("cron expression {expression:?} (six fields, seconds first): {e}"))?;
        Ok(Self::Cron(Box::new(cron)))
    }

    /// How long to wait, from `now`, for the next event.
    pub fn wait(&self, now: DateTime<Utc>) -> Result<Duration> {
        match self {
            Self::Every(every) => Ok(*every),
            Self::Cron(cron) => {
                let next = cron.find_next_occurrence(&now, false).map_err(|e| anyhow!("{e}"))?;
                Ok((next - now).to_std().unwrap_or_default())
            }
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cron(cron) => write!(f, "{}", cron.pattern),
            Self::Every(every) => write!(f, "every {} s (--cron-every-seconds)", every.as_secs()),
        }
    }
}

/// The `--cron-every-seconds` values: `N` for every trigger, `COMPONENT=N` for one.
#[derive(Debug, Default)]
pub struct Overrides {
    all: Option<u64>,
    components: BTreeMap<String, u64>,
}

impl Overrides {
    /// Parses the flag's values; every named component must have a cron trigger.
    pub fn parse(values: &[String], cron_components: &[&str]) -> Result<Self> {
        let mut overrides = Self::default();
        for value in values {
            let (component, seconds) = match value.split_once('=') {
                Some((component, seconds)) => (Some(component), seconds),
                None => (None, value.as_str()),
            };
            let seconds: u64 =
                seconds.parse().ok().filter(|s| *s > 0).with_context(|| {
                    format!("--cron-every-seconds {value}: expected [COMPONENT=]N, N ≥ 1")
                })?;
            match component {
                None => overrides.all = Some(seconds),
                Some(component) if cron_components.contains(&component) => {
                    overrides.components.insert(component.to_owned(), seconds);
                }
                Some(component) => bail!("--cron-every-seconds {value}: no cron trigger runs {component}"),
            }
        }
        Ok(overrides)
    }

    /// The schedule of `component`'s trigger.
    pub fn schedule(&self, component: &str, expression: &str) -> Result<Schedule> {
        // The expression is checked even when overridden: `spin up` will read it.
        let parsed = Schedule::parse(expression)?;
        Ok(match self.components.get(component).or(self.all.as_ref()) {
            Some(seconds) => Schedule::Every(Duration::from_secs(*seconds)),
            None => parsed,
        })
    }
}

/// One cron trigger, ready to run.
pub struct Trigger {
    pub component: String,
    pub schedule: Schedule,
    pub pre: SpinCronPre<HostState>,
    pub spin: Arc<SpinState>,
    pub hooks: AllowedHosts,
}

impl Trigger {
    /// Fires on schedule until the process ends. An event's failure is logged; the next runs on.
    pub async fn run(self) {
        loop {
            let wait = match self.schedule.wait(Utc::now()) {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::error!(component = self.component, "cron schedule has no next time: {e}");
                    return;
                }
            };
            tokio::time::sleep(wait).await;
            let started = std::time::Instant::now();
            match self.fire().await {
                Ok(()) => tracing::debug!(
                    component = self.component,
                    ms = started.elapsed().as_millis() as u64,
                    "cron event handled"
                ),
                Err(e) => tracing::warn!(component = self.component, "cron event failed: {e:#}"),
            }
        }
    }

    /// One event: a fresh instance, `handle-cron-event` with the time.
    async fn fire(&self) -> Result<()> {
        let mut store = Store::new(self.pre.engine(), HostState::new(self.hooks.clone(), self.spin.clone()));
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let cron = self.pre.instantiate_async(&mut store).await?;
        match cron
            .call_handle_cron_event(&mut store, Metadata { timestamp })
            .await
            .map_err(anyhow::Error::from)
            .context("the handler trapped")?
        {
            Ok(()) => Ok(()),
            Err(CronError::Other(message)) => bail!("the component answered an error: {message}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::{Overrides, Schedule};

    #[test]
    fn six_field_expressions_wait_for_their_next_second() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 9, 3, 20).unwrap();
        assert_eq!(Schedule::parse("0 * * * * *").unwrap().wait(now).unwrap(), Duration::from_secs(40));
        assert_eq!(Schedule::parse("0 */10 * * * *").unwrap().wait(now).unwrap(), Duration::from_secs(400));
        // A five-field crontab line is refused: the plugin's expressions start with seconds.
        assert!(Schedule::parse("*/10 * * * *").is_err());
        assert!(Schedule::parse("every minute").is_err());
    }

    #[test]
    fn overrides_apply_to_all_triggers_or_to_one() {
        let components = ["tick", "housekeeping"];
        let overrides =
            Overrides::parse(&["1".to_owned(), "housekeeping=600".to_owned()], &components).unwrap();
        let every = |schedule: Schedule| match schedule {
            Schedule::Every(every) => every.as_secs(),
            Schedule::Cron(cron) => panic!("not overridden: {}", cron.pattern),
        };
        assert_eq!(every(overrides.schedule("tick", "0 * * * * *").unwrap()), 1);
        assert_eq!(every(overrides.schedule("housekeeping", "0 */10 * * * *").unwrap()), 600);
        let none = Overrides::parse(&[], &components).unwrap();
        assert!(matches!(none.schedule("tick", "0 * * * * *").unwrap(), Schedule::Cron(_)));
        assert!(Overrides::parse(&["other=5".to_owned()], &components).is_err());
        assert!(Overrides::parse(&["0".to_owned()], &components).is_err());
        // A bad expression is an error even when overridden.
        assert!(overrides.schedule("tick", "nonsense").is_err());
    }
}
