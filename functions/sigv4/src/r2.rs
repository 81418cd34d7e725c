//! R2's dialect of S3: where an account's S3 API is and which region it signs with.
//!
//! Only the Cloudflare shell uses this, to turn R2's own settings (`R2_ACCOUNT_ID`) into the
//! generic S3 ones the core reads; the core itself knows only "an S3-compatible endpoint".

use url::Url;

use crate::SigV4Error;

/// The region Cloudflare's own R2 examples sign with: R2 has no regions, but the credential
/// scope needs a name.
pub const REGION: &str = "auto";

/// `https://<account_id>.r2.cloudflarestorage.com/`, R2's S3 endpoint for an account.
pub fn endpoint(account_id: &str) -> Result<Url, SigV4Error> {
    // The id becomes a host label: a dot, slash or `@` would point the URLs at another host.
    if account_id.is_empty() || !account_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SigV4Error::Endpoint {
            endpoint: account_id.to_owned(),
            reason: "an R2 account id has only letters and digits",
        });
    }
    let raw = format!("https://{account_id}.r2.cloudflarestorage.com/");
    Url::parse(&raw).map_err(|_| SigV4Error::Endpoint { endpoint: raw, reason: "not a valid URL" })
}
