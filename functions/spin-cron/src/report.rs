//! What a tick's answer means, pure: the line worth logging, or the failure.
//!
//! The tick answers `{"drained": {"settled", "retried", "dead"}, "housekeeping": {...}}`, the
//! housekeeping part only when it ran. Only a drain that moved messages is worth a line here: an
//! idle tick's line every minute would drown the log, and the Edgetube component logs the
//! housekeeping's own line itself (as the Worker's Cron Trigger does), so it is not repeated.

/// The tick's URL, with `?housekeeping=1` when this component runs the housekeeping.
pub fn tick_url(base: &str, housekeeping: bool) -> String {
    match (housekeeping, base.contains('?')) {
        (false, _) => base.to_owned(),
        (true, false) => format!("{base}?housekeeping=1"),
        (true, true) => format!("{base}&housekeeping=1"),
    }
}

/// The most of an error body a failure quotes.
const QUOTED_BODY: usize = 300;

/// `Ok(None)` for a tick that drained nothing, `Ok(Some(line))` for one that did, `Err` when it
/// failed (a status other than 2xx, an answer that is not the tick's, or no housekeeping where it
/// was asked for).
pub fn summary(status: u16, body: &[u8], housekeeping: bool) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(body);
    if !(200..300).contains(&status) {
        let quoted: String = text.chars().take(QUOTED_BODY).collect();
        return Err(format!("the tick answered {status}: {quoted}"));
    }
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("the tick answered {status} without its JSON ({e})"))?;
    let count = |name: &str| value["drained"][name].as_u64();
    let (Some(settled), Some(retried), Some(dead)) = (count("settled"), count("retried"), count("dead"))
    else {
        return Err(format!("the tick answered {status} without its drained counts: {text}"));
    };
    if housekeeping && !value.get("housekeeping").is_some_and(serde_json::Value::is_object) {
        return Err(format!("the tick answered {status} without running the housekeeping: {text}"));
    }
    Ok((settled + retried + dead > 0).then(|| {
        format!("cron tick: {settled} outbox messages settled, {retried} retried later, {dead} dead")
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{summary, tick_url};

    #[test]
    fn the_housekeeping_component_asks_for_housekeeping() {
        let base = "http://edgetube.spin.internal/_edgetube/tick";
        assert_eq!(tick_url(base, false), base);
        assert_eq!(tick_url(base, true), format!("{base}?housekeeping=1"));
        assert_eq!(tick_url("http://h/t?a=b", true), "http://h/t?a=b&housekeeping=1");
    }

    #[test]
    fn an_idle_tick_logs_nothing_and_a_busy_one_a_line() {
        let idle = br#"{"drained":{"settled":0,"retried":0,"dead":0}}"#;
        assert_eq!(summary(200, idle, false).unwrap(), None);
        let busy = br#"{"drained":{"settled":2,"retried":1,"dead":0}}"#;
        assert_eq!(
            summary(200, busy, false).unwrap().unwrap(),
            "cron tick: 2 outbox messages settled, 1 retried later, 0 dead"
        );
        // The Edgetube component logs the housekeeping's line; an idle drain adds none.
        let housekeeping =
            br#"{"drained":{"settled":0,"retried":0,"dead":0},"housekeeping":{"released_jobs":1}}"#;
        assert_eq!(summary(200, housekeeping, true).unwrap(), None);
    }

    #[test]
    fn a_refused_or_foreign_answer_is_a_failure() {
        let refused = summary(401, br#"{"error":"a valid tick token is required"}"#, false).unwrap_err();
        assert!(refused.contains("401") && refused.contains("tick token"), "{refused}");
        assert!(summary(404, b"", false).unwrap_err().contains("404"));
        assert!(summary(200, b"<html>", false).unwrap_err().contains("without its JSON"));
        assert!(summary(200, b"{}", false).unwrap_err().contains("drained counts"));
        let no_housekeeping = br#"{"drained":{"settled":0,"retried":0,"dead":0}}"#;
        assert!(summary(200, no_housekeeping, true)
            .unwrap_err()
            .contains("without running the housekeeping"));
    }
}
