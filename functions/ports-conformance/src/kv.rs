//! [`Kv`]: put, get, overwrite and delete of binary values, `None` for a missing key, deleting a
//! missing key is fine, and a TTL is accepted (down to 1 s: Workers raises it to its 60 s minimum).
//!
//! KV is eventually consistent *between locations*; these checks read back in the location that
//! wrote, which sees its own writes on every platform. Expiry is not waited for: the port lets a
//! value outlive its TTL.

use edgetube_ports::Kv;

use crate::{ensure, Failure, Report, Run};

/// Runs every KV check.
pub async fn check_kv(kv: &dyn Kv, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.add("kv.missing_key_is_none", missing_key_is_none(kv, run).await);
    report.add("kv.put_get_overwrite_delete", put_get_overwrite_delete(kv, run).await);
    report.add("kv.delete_of_missing_key_is_ok", delete_of_missing_key_is_ok(kv, run).await);
    report.add("kv.ttl_is_accepted", ttl_is_accepted(kv, run).await);
    report
}

async fn missing_key_is_none(kv: &dyn Kv, run: &Run) -> Result<(), Failure> {
    let got = kv.get(&run.key("kv/never-written")).await?;
    ensure!(got.is_none(), "a key never written read {got:?}");
    Ok(())
}

async fn put_get_overwrite_delete(kv: &dyn Kv, run: &Run) -> Result<(), Failure> {
    let key = run.key("kv/value with spaces/ü");
    let binary: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    kv.put(&key, &binary, None).await?;
    let got = kv.get(&key).await?;
    ensure!(got.as_deref() == Some(binary.as_slice()), "read back {got:?}");
    kv.put(&key, b"second", None).await?;
    let got = kv.get(&key).await?;
    ensure!(got.as_deref() == Some(&b"second"[..]), "after an overwrite read {got:?}");
    kv.delete(&key).await?;
    let got = kv.get(&key).await?;
    ensure!(got.is_none(), "after delete read {got:?}");
    Ok(())
}

async fn delete_of_missing_key_is_ok(kv: &dyn Kv, run: &Run) -> Result<(), Failure> {
    kv.delete(&run.key("kv/never-written-either")).await?;
    Ok(())
}

async fn ttl_is_accepted(kv: &dyn Kv, run: &Run) -> Result<(), Failure> {
    let key = run.key("kv/ttl");
    kv.put(&key, b"short-lived", Some(1)).await?;
    kv.put(&key, b"minute", Some(60)).await?;
    let got = kv.get(&key).await?;
    ensure!(got.as_deref() == Some(&b"minute"[..]), "a value with a 60 s TTL read back as {got:?} at once");
    kv.delete(&key).await?;
    Ok(())
}
