//! Uploads whose bytes go straight from the client to R2, through presigned S3 URLs.
//!
//! The worker starts an R2 multipart upload through its binding and hands out one presigned
//! `PUT` URL per part of [`PART_SIZE`] (the last part smaller); the client sends each part to R2's
//! S3 endpoint and reports the parts' entity tags, and the worker completes the upload through the
//! binding again. R2 shares multipart upload ids between the binding and its S3 API, which is what
//! lets the two halves meet. The functions never see a media byte.
//!
//! The session is an ordinary `upload_sessions` row of purpose [`VIDEO_DIRECT`](uploads::purpose::VIDEO_DIRECT) whose
//! `multipart_id` is set from the start and whose `received` stays 0 until completion (the worker
//! cannot see parts arrive). Because the row sees no writes while parts flow, it records when its
//! last handed-out URL expires (`urls_expire_at`), and the idle sweep waits for that.
//!
//! Completing is safe to repeat: a completed session answers with the stored object.
//!
//! Runners use the same credentials for their media bytes: [`presigned_read`] for the original,
//! [`presigned_write`] for each result file, which [`track_runner_write`] records with the job so
//! a failed attempt's files are found and deleted.

use edgetube_ports::{ObjectMeta, PortError, Ports, Statement, UploadedPart};
use thiserror::Error;
use url::Url;

use crate::runner_jobs::Holder;
use crate::uploads::{self, NewSession, Session, PART_SIZE};
use edgetube_domain::DirectUploadConfig;
use edgetube_domain::DomainError;
use edgetube_sigv4::{self as sigv4, SigV4Error, MAX_PART_NUMBER};

/// Why a direct upload step was refused.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DirectError {
    /// The declared size needs no part (empty file) or more than R2's 10,000 parts.
    #[error("a direct upload has 1 to {max} bytes, not {size}", max = max_size())]
    Size {
        /// The declared size.
        size: u64,
    },
    /// The completion's part list does not name exactly the parts of the declared size, or
    /// storage refused it (a wrong entity tag, a part never sent).
    #[error("{0}")]
    BadParts(String),
    /// The completed object's size differs from the declared one; object and session are gone.
    #[error("the uploaded parts hold {stored} bytes but {declared} were declared")]
    SizeMismatch {
        /// Bytes in the completed object.
        stored: u64,
        /// Bytes the init declared.
        declared: u64,
    },
    /// A URL could not be signed (a configuration problem).
    #[error(transparent)]
    Sign(#[from] SigV4Error),
    /// Storage or SQL failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<PortError> for DirectError {
    fn from(e: PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// The largest file one direct upload carries: 10,000 parts of [`PART_SIZE`].
pub const fn max_size() -> u64 {
    MAX_PART_NUMBER as u64 * PART_SIZE
}

/// How many parts a file of `size` bytes has: `ceil(size / PART_SIZE)`, the last one smaller.
pub fn part_count(size: u64) -> Result<u16, DirectError> {
    if size == 0 || size > max_size() {
        return Err(DirectError::Size { size });
    }
    u16::try_from(size.div_ceil(PART_SIZE)).map_err(|_| DirectError::Size { size })
}

/// Where and until when the client may `PUT` one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartUrl {
    /// 1-based part number.
    pub part_number: u16,
    /// The presigned `PUT` URL on R2's S3 endpoint.
    pub url: Url,
    /// When the URL stops working (ms since the epoch).
    pub expires_at: i64,
}

/// Opens the session `new` (purpose [`VIDEO_DIRECT`](uploads::purpose::VIDEO_DIRECT)) with its R2 multipart upload, or
/// returns it as stored when a session with this id exists already.
pub async fn open(ports: &Ports<'_>, new: &NewSession<'_>) -> Result<Session, DirectError> {
    part_count(new.total_size)?;
    let session = uploads::open(ports, new).await?;
    if session.multipart_id.is_some() {
        return Ok(session);
    }
    let id = ports.objects.create_multipart(&session.object_key, session.content_type.as_deref()).await?;
    let changed = ports
        .sql
        .execute(
            Statement::new(
                "UPDATE upload_sessions SET multipart_id = ?1 WHERE id = ?2 AND multipart_id IS NULL",
            )
            .bind(id.as_str())
            .bind(session.id.as_str()),
        )
        .await?;
    if changed == 0 {
        // A concurrent open recorded its upload first; ours is never used.
        ports.objects.abort_multipart(&session.object_key, &id).await?;
    }
    uploads::find(ports.sql, &session.id).await?.ok_or_else(|| {
        DomainError::Inconsistent(format!("upload {} vanished after creation", session.id)).into()
    })
}

/// Most part URLs one answer carries. Signing one costs about 30 µs natively (10,000 took 324 ms
/// in a release build) and each is some 550 bytes, so a 10,000-part upload hands them out in pages.
pub const MAX_URLS_PER_ANSWER: u16 = 100;

/// Fresh presigned URLs for parts `first` to `first + count - 1` of `session` (clipped to its
/// parts and to [`MAX_URLS_PER_ANSWER`]), valid from now for the configured time.
pub async fn part_urls(
    ports: &Ports<'_>,
    config: &DirectUploadConfig,
    session: &Session,
    first: u16,
    count: u16,
) -> Result<Vec<PartUrl>, DirectError> {
    let upload_id = session.multipart_id.as_deref().ok_or_else(|| {
        DomainError::Inconsistent(format!("direct upload {} has no multipart id", session.id))
    })?;
    let now = ports.clock.now_millis();
    let expires_at = now + i64::from(config.url_ttl_secs) * 1000;
    let last = part_count(session.total_size)?
        .min(first.saturating_add(count.min(MAX_URLS_PER_ANSWER)).saturating_sub(1));
    let urls = (first.max(1)..=last)
        .map(|part_number| {
            let url = sigv4::presign_upload_part(
                &config.credentials,
                &session.object_key,
                upload_id,
                part_number,
                now,
                config.url_ttl_secs,
            )?;
            Ok(PartUrl { part_number, url, expires_at })
        })
        .collect::<Result<Vec<_>, SigV4Error>>()?;
    ports
        .sql
        .execute(
            Statement::new(
                "UPDATE upload_sessions SET urls_expire_at = MAX(COALESCE(urls_expire_at, 0), ?1), \
                 updated_at = ?2 WHERE id = ?3",
            )
            .bind(expires_at)
            .bind(now)
            .bind(session.id.as_str()),
        )
        .await?;
    Ok(urls)
}

/// The parts a completion names, in order, once they are exactly parts 1 to
/// [`part_count`] of the declared size, each with a non-empty entity tag (quotes dropped, as an
/// S3 `ETag` header carries them and the binding does not).
pub fn check_parts(session: &Session, parts: &[UploadedPart]) -> Result<Vec<UploadedPart>, DirectError> {
    let expected = part_count(session.total_size)?;
    let mut sorted: Vec<UploadedPart> = parts
        .iter()
        .map(|p| UploadedPart {
            part_number: p.part_number,
            etag: p.etag.trim().trim_matches('"').to_owned(),
        })
        .collect();
    sorted.sort_by_key(|p| p.part_number);
    if sorted.len() != usize::from(expected) {
        return Err(DirectError::BadParts(format!(
            "{} bytes make {expected} parts of {PART_SIZE} bytes (the last one smaller), but {} were listed",
            session.total_size,
            sorted.len()
        )));
    }
    for (part, number) in sorted.iter().zip(1..) {
        if part.part_number != number {
            return Err(DirectError::BadParts(format!(
                "parts must be numbered 1 to {expected}, each once; part {number} is missing"
            )));
        }
        if part.etag.is_empty() {
            return Err(DirectError::BadParts(format!("part {number} has no etag")));
        }
    }
    Ok(sorted)
}

/// Completes the multipart upload from the client's part list and marks the session completed.
///
/// Call it after the video row exists, so that the storage event finds its video. An object whose
/// size differs from the declared one is deleted together with the session.
pub async fn complete(
    ports: &Ports<'_>,
    session: &Session,
    parts: &[UploadedPart],
) -> Result<ObjectMeta, DirectError> {
    if session.completed_at.is_some() {
        return stored(ports, session).await?.ok_or_else(|| {
            DomainError::Inconsistent(format!("the object of upload {} is missing", session.id)).into()
        });
    }
    let parts = check_parts(session, parts)?;
    let upload_id = session.multipart_id.as_deref().ok_or_else(|| {
        DomainError::Inconsistent(format!("direct upload {} has no multipart id", session.id))
    })?;
    let meta = match ports.objects.complete_multipart(&session.object_key, upload_id, parts.clone()).await {
        Ok(meta) => meta,
        // A repeat whose first attempt stored the object but lost the row update.
        Err(error) => match stored(ports, session).await? {
            Some(meta) => meta,
            None => {
                return Err(match error {
                    PortError::Invalid { message, .. } => {
                        DirectError::BadParts(format!("storage refused the parts: {message}"))
                    }
                    other => other.into(),
                })
            }
        },
    };
    if meta.size != session.total_size {
        ports.objects.delete(&session.object_key).await?;
        // Not `uploads::cancel`: the multipart upload is completed, and aborting it may fail.
        ports
            .sql
            .execute(Statement::new("DELETE FROM upload_sessions WHERE id = ?1").bind(session.id.as_str()))
            .await?;
        return Err(DirectError::SizeMismatch { stored: meta.size, declared: session.total_size });
    }
    let parts_json = serde_json::to_string(&parts).map_err(|e| DomainError::Inconsistent(e.to_string()))?;
    ports
        .sql
        .execute(
            Statement::new(
                "UPDATE upload_sessions SET received = total_size, parts = ?1, completed_at = ?2, \
                 updated_at = ?2 WHERE id = ?3",
            )
            .bind(parts_json)
            .bind(ports.clock.now_millis())
            .bind(session.id.as_str()),
        )
        .await?;
    Ok(meta)
}

/// A presigned `GET` of object `key` from now for the configured time: how a runner reads an
/// original straight from R2 (with `Range`) instead of through the runner API.
pub fn presigned_read(config: &DirectUploadConfig, key: &str, now_millis: i64) -> Result<Url, SigV4Error> {
    sigv4::presign(&config.credentials, http::Method::GET, key, &[], now_millis, config.url_ttl_secs)
}

/// The largest object one S3 `PUT` may carry (R2's limit too): 5 GiB.
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// A presigned `PUT` of object `key` from now for the configured time: how a runner writes a
/// result file straight to R2 instead of through the runner API.
pub fn presigned_write(config: &DirectUploadConfig, key: &str, now_millis: i64) -> Result<Url, SigV4Error> {
    sigv4::presign(&config.credentials, http::Method::PUT, key, &[], now_millis, config.url_ttl_secs)
}

/// Records that the job `holder` holds may write `key` straight to storage, as the API upload path
/// records its files, so that the cleanup of a failed or replaced attempt finds the object;
/// `false` (nothing recorded) when the job is no longer the holder's.
///
/// The row is marked completed at once: no byte passes through the instance, and the idle sweep
/// of unfinished uploads must not drop the key while the job runs. Safe to repeat.
pub async fn track_runner_write(
    ports: &Ports<'_>,
    holder: &Holder,
    key: &str,
    content_type: &str,
    size: u64,
) -> Result<bool, DomainError> {
    let id = holder.attempt_scoped_id(&format!("{key}\npresigned"));
    let new = NewSession {
        id: &id,
        purpose: uploads::purpose::RUNNER_FILE_DIRECT,
        user_id: None,
        runner_job_id: Some(holder.job_id),
        fingerprint: None,
        object_key: key,
        content_type: Some(content_type),
        total_size: size,
        metadata: None,
    };
    let Some(session) = uploads::open_for(ports, &new, holder).await? else { return Ok(false) };
    let update = Statement::new(
        "UPDATE upload_sessions SET total_size = ?1, completed_at = COALESCE(completed_at, ?2), \
         updated_at = ?2 WHERE id = ?3",
    )
    .bind(uploads::size_value(size)?)
    .bind(ports.clock.now_millis())
    .bind(session.id.as_str());
    Ok(ports.sql.execute(holder.guard(update)).await? == 1)
}

async fn stored(ports: &Ports<'_>, session: &Session) -> Result<Option<ObjectMeta>, DomainError> {
    Ok(ports.objects.head(&session.object_key).await?.filter(|meta| meta.size == session.total_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(total_size: u64) -> Session {
        Session {
            id: "u".into(),
            purpose: uploads::purpose::VIDEO_DIRECT.into(),
            user_id: Some(1),
            runner_job_id: None,
            object_key: "uploads/u/source".into(),
            content_type: None,
            total_size,
            received: 0,
            part_size: PART_SIZE,
            multipart_id: Some("m".into()),
            parts: "[]".into(),
            staged: "[]".into(),
            metadata: None,
            video_id: None,
            completed_at: None,
        }
    }

    fn part(part_number: u16, etag: &str) -> UploadedPart {
        UploadedPart { part_number, etag: etag.into() }
    }

    #[test]
    fn parts_are_the_size_divided_by_the_part_size_rounded_up() {
        for (size, parts) in
            [(1, 1), (PART_SIZE, 1), (PART_SIZE + 1, 2), (3 * PART_SIZE, 3), (max_size(), 10_000)]
        {
            assert_eq!(part_count(size).expect("in range"), parts, "{size}");
        }
        for size in [0, max_size() + 1] {
            assert!(matches!(part_count(size), Err(DirectError::Size { .. })), "{size}");
        }
    }

    #[test]
    fn a_part_list_names_every_part_once_in_any_order() {
        let s = session(2 * PART_SIZE + 5);
        let sorted = check_parts(&s, &[part(3, "\"c\""), part(1, "a"), part(2, " \"b\" ")]).expect("valid");
        assert_eq!(sorted, vec![part(1, "a"), part(2, "b"), part(3, "c")]);
        for wrong in [
            vec![part(1, "a"), part(2, "b")],
            vec![part(1, "a"), part(2, "b"), part(2, "b")],
            vec![part(1, "a"), part(2, "b"), part(4, "d")],
            vec![part(0, "z"), part(1, "a"), part(2, "b")],
            vec![part(1, "a"), part(2, "\"\""), part(3, "c")],
        ] {
            assert!(matches!(check_parts(&s, &wrong), Err(DirectError::BadParts(_))), "{wrong:?}");
        }
    }
}
