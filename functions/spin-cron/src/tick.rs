//! One tick: `POST <tick_url>[?housekeeping=1]` with `Authorization: Bearer <tick_token>`.
//!
//! The component's variables: `tick_token` (the app's secret, required), `housekeeping`
//! (`true` adds `?housekeeping=1`) and `tick_url` (default [`DEFAULT_TICK_URL`]: Spin's local
//! service chaining to the component named `edgetube`, which needs
//! `allowed_outbound_hosts = ["http://edgetube.spin.internal"]`).

use crate::report;

/// The tick of the `edgetube` component of the same application.
pub const DEFAULT_TICK_URL: &str = "http://edgetube.spin.internal/_edgetube/tick";

/// A variable; `None` when undefined or empty.
fn var(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok().filter(|value| !value.is_empty())
}

/// Posts the tick and logs what it did, if anything; the error says why the tick failed.
pub async fn post() -> Result<(), String> {
    let token = var("tick_token").ok_or(
        "the tick_token variable is empty: set it for the application (SPIN_VARIABLE_TICK_TOKEN), \
         the Edgetube component mounts its tick only with a token",
    )?;
    let housekeeping = var("housekeeping").is_some_and(|v| v == "true");
    let url = report::tick_url(&var("tick_url").unwrap_or_else(|| DEFAULT_TICK_URL.to_owned()), housekeeping);
    let request = http::Request::post(&url)
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        // WASI would send an undeclared body chunked; an empty POST says so.
        .header(http::header::CONTENT_LENGTH, "0")
        .body(Vec::new())
        .map_err(|e| format!("{url}: {e}"))?;
    let response: http::Response<Vec<u8>> =
        spin_sdk::http::send(request).await.map_err(|e| format!("POST {url}: {e}"))?;
    if let Some(line) = report::summary(response.status().as_u16(), response.body(), housekeeping)
        .map_err(|message| format!("POST {url}: {message}"))?
    {
        eprintln!("{line}");
    }
    Ok(())
}
