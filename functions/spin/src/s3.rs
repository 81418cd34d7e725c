//! The object storage port on any S3-compatible store over outbound HTTP (Spin has no object
//! storage of its own), path style, each request presigned with `edgetube-sigv4` for a few
//! minutes. Media reads stream: the response body is handed on chunk by chunk.

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_domain::InstanceConfig;
use edgetube_ports::{
    Clock, ObjectBody, ObjectMeta, ObjectRange, ObjectStream, Objects, PortError, StreamedObject,
    UploadedPart,
};
use edgetube_sigv4::{presign_request, S3Credentials, Signer, UNSIGNED_PAYLOAD};
use futures::StreamExt;
use http::{Method, StatusCode};
use quick_xml::events::Event;
use spin_sdk::http::IncomingResponse;

use crate::body::send_stream;
use crate::clock::SystemClock;
use crate::http_client::{head_of, send_raw};

/// How long each signed request URL stays valid: it is used at once.
const SIGNED_FOR_SECS: u32 = 300;

/// The most keys one `ListObjectsV2` page returns; later pages follow the continuation token.
const MAX_LIST_PAGES: usize = 1000;

/// Objects in the bucket of `S3_*` (the same credentials presign clients' direct uploads).
pub struct S3Objects {
    creds: S3Credentials,
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("objects", e.to_string())
}

/// The text of every `<tag>` element of `xml`, in document order.
fn texts(xml: &[u8], tag: &str) -> Result<Vec<String>, PortError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut inside = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(unavailable)? {
            Event::Start(e) if e.local_name().as_ref() == tag.as_bytes() => {
                inside = true;
                out.push(String::new());
            }
            Event::End(e) if e.local_name().as_ref() == tag.as_bytes() => inside = false,
            Event::Text(text) if inside => {
                let decoded = text.decode().map_err(unavailable)?;
                let unescaped = quick_xml::escape::unescape(&decoded).map_err(unavailable)?;
                if let Some(last) = out.last_mut() {
                    last.push_str(&unescaped);
                }
            }
            Event::GeneralRef(reference) if inside => {
                // `&quot;` and friends around ETags arrive as references.
                let name = reference.decode().map_err(unavailable)?;
                let resolved = quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("");
                if let Some(last) = out.last_mut() {
                    last.push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

fn quoted(etag: &str) -> String {
    if etag.starts_with('"') || etag.starts_with("W/") {
        etag.to_owned()
    } else {
        format!("\"{etag}\"")
    }
}

impl S3Objects {
    /// The store of the instance's `S3_*` settings (required on Spin: `config` checks).
    pub fn from_config(config: &InstanceConfig) -> Result<Self, String> {
        let upload = config.media.direct_upload.as_ref().ok_or("no S3 settings")?;
        Ok(Self { creds: upload.credentials.clone() })
    }

    fn url(&self, method: &Method, key: Option<&str>, query: &[(&str, &str)]) -> Result<String, PortError> {
        let path = match key {
            Some(key) => format!("/{}/{key}", self.creds.bucket),
            None => format!("/{}", self.creds.bucket),
        };
        let signer = Signer {
            access_key_id: &self.creds.access_key_id,
            secret_access_key: &self.creds.secret_access_key,
            region: &self.creds.region,
            service: "s3",
        };
        let request = edgetube_sigv4::Request {
            method,
            origin: &self.creds.endpoint,
            path: &path,
            query,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let signed = presign_request(&signer, &request, SystemClock.now_millis(), SIGNED_FOR_SECS)
            .map_err(|e| PortError::invalid("objects", e.to_string()))?;
        Ok(signed.url.to_string())
    }

    async fn call(
        &self,
        method: Method,
        key: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(IncomingResponse, http::HeaderMap, StatusCode), PortError> {
        let url = self.url(&method, key, query)?;
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let response = send_raw(builder.body(body).map_err(unavailable)?).await?;
        let head = head_of(&response)?;
        let headers = head.headers_ref().cloned().unwrap_or_default();
        let status = StatusCode::from_u16(response.status()).map_err(unavailable)?;
        Ok((response, headers, status))
    }

    /// A whole (small) response body.
    async fn read_all(response: IncomingResponse) -> Result<Vec<u8>, PortError> {
        response.into_body().await.map_err(|e| unavailable(e.to_debug_string()))
    }

    /// Fails with S3's own error text for a status the operation does not expect.
    async fn refuse<T>(
        what: &str,
        key: &str,
        status: StatusCode,
        response: IncomingResponse,
    ) -> Result<T, PortError> {
        let text = Self::read_all(response).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let message = format!("{what} {key}: S3 answered {status}: {}", text.trim());
        Err(match status {
            StatusCode::RANGE_NOT_SATISFIABLE | StatusCode::BAD_REQUEST => {
                PortError::invalid("objects", message)
            }
            _ => PortError::unavailable("objects", message),
        })
    }

    fn meta_of(key: &str, headers: &http::HeaderMap, size: u64) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size,
            http_etag: quoted(header(headers, "etag").unwrap_or_default()),
            content_type: header(headers, "content-type").map(str::to_owned),
        }
    }

    /// A ranged or whole read: the response, the object's metadata and the span returned.
    async fn read(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<(IncomingResponse, ObjectMeta, Option<(u64, u64)>)>, PortError> {
        let range_header = match range {
            None => None,
            Some(ObjectRange::OffsetWithLength { length: 0, .. }) => {
                return Err(PortError::invalid("objects", format!("an empty range of {key}")));
            }
            Some(ObjectRange::OffsetWithLength { offset, length }) => {
                Some(format!("bytes={offset}-{}", offset.saturating_add(length) - 1))
            }
            Some(ObjectRange::From(offset)) => Some(format!("bytes={offset}-")),
            // Sent as the span it covers, found by a HEAD first: some stores fail a suffix longer
            // than the object (s3s-fs answers 500) where the port clamps it.
            Some(ObjectRange::Suffix(n)) => {
                let Some(meta) = self.head(key).await? else { return Ok(None) };
                let (first, last) = ObjectRange::Suffix(n).span(meta.size).ok_or_else(|| {
                    PortError::invalid(
                        "objects",
                        format!("range outside the {}-byte object {key}", meta.size),
                    )
                })?;
                Some(format!("bytes={first}-{last}"))
            }
        };
        let headers: Vec<(&str, String)> = range_header.into_iter().map(|value| ("range", value)).collect();
        let (response, headers, status) =
            self.call(Method::GET, Some(key), &[], &headers, Vec::new()).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::OK => {
                let size = header(&headers, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                // A store may ignore a range that covers the whole object.
                let span = range.map(|r| r.span(size)).unwrap_or(None);
                if range.is_some() && span.is_none() {
                    return Err(PortError::invalid(
                        "objects",
                        format!("range outside the {size}-byte object {key}"),
                    ));
                }
                Ok(Some((response, Self::meta_of(key, &headers, size), span.filter(|_| range.is_some()))))
            }
            StatusCode::PARTIAL_CONTENT => {
                // `Content-Range: bytes first-last/size`
                let content_range = header(&headers, "content-range").unwrap_or_default();
                let parsed = content_range.strip_prefix("bytes ").and_then(|rest| {
                    let (span, size) = rest.split_once('/')?;
                    let (first, last) = span.split_once('-')?;
                    Some((first.parse().ok()?, last.parse().ok()?, size.parse().ok()?))
                });
                let (first, last, size) = parsed
                    .ok_or_else(|| unavailable(format!("unreadable Content-Range {content_range:?}")))?;
                Ok(Some((response, Self::meta_of(key, &headers, size), Some((first, last)))))
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                Err(PortError::invalid("objects", format!("range outside the object {key}")))
            }
            other => Self::refuse("reading", key, other, response).await,
        }
    }
}

/// The stream of a response body that keeps its response alive (dropping it cancels the read).
fn body_stream(response: IncomingResponse) -> ObjectStream {
    let stream = futures::stream::unfold(Some((response, None)), |state| async move {
        let (response, stream) = state?;
        let mut stream = match stream {
            Some(stream) => stream,
            None => Box::pin(response.take_body_stream()),
        };
        match stream.next().await {
            Some(Ok(chunk)) => Some((Ok(Bytes::from(chunk)), Some((response, Some(stream))))),
            Some(Err(e)) => Some((Err(unavailable(e.to_debug_string())), None)),
            None => None,
        }
    });
    Box::pin(send_stream(stream))
}

#[async_trait(?Send)]
impl Objects for S3Objects {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta, PortError> {
        let size = bytes.len() as u64;
        let headers: Vec<(&str, String)> =
            content_type.map(|value| ("content-type", value.to_owned())).into_iter().collect();
        let (response, headers, status) =
            self.call(Method::PUT, Some(key), &[], &headers, bytes.to_vec()).await?;
        if !status.is_success() {
            return Self::refuse("storing", key, status, response).await;
        }
        drop(Self::read_all(response).await);
        Ok(ObjectMeta {
            key: key.to_owned(),
            size,
            http_etag: quoted(header(&headers, "etag").unwrap_or_default()),
            content_type: content_type.map(str::to_owned),
        })
    }

    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError> {
        let Some((response, meta, span)) = self.read(key, range).await? else { return Ok(None) };
        let bytes = Bytes::from(Self::read_all(response).await?);
        Ok(Some(ObjectBody { meta, bytes, range: span }))
    }

    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError> {
        let Some((response, meta, span)) = self.read(key, range).await? else { return Ok(None) };
        Ok(Some(StreamedObject { meta, stream: body_stream(response), range: span }))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError> {
        let (response, headers, status) = self.call(Method::HEAD, Some(key), &[], &[], Vec::new()).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => {
                let size = header(&headers, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                Ok(Some(Self::meta_of(key, &headers, size)))
            }
            other => Self::refuse("reading the metadata of", key, other, response).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        let (response, _, status) = self.call(Method::DELETE, Some(key), &[], &[], Vec::new()).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            drop(Self::read_all(response).await);
            return Ok(());
        }
        Self::refuse("deleting", key, status, response).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut query = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(token) = &token {
                query.push(("continuation-token", token.as_str()));
            }
            let (response, _, status) = self.call(Method::GET, None, &query, &[], Vec::new()).await?;
            if !status.is_success() {
                return Self::refuse("listing", prefix, status, response).await;
            }
            let xml = Self::read_all(response).await?;
            keys.extend(texts(&xml, "Key")?);
            let truncated = texts(&xml, "IsTruncated")?.first().is_some_and(|t| t == "true");
            token = texts(&xml, "NextContinuationToken")?.into_iter().next();
            if !truncated || token.is_none() {
                keys.sort();
                return Ok(keys);
            }
        }
        Err(PortError::limit_exceeded(
            "objects",
            format!("over {MAX_LIST_PAGES} pages of keys under {prefix}"),
        ))
    }

    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError> {
        let headers: Vec<(&str, String)> =
            content_type.map(|value| ("content-type", value.to_owned())).into_iter().collect();
        let (response, _, status) =
            self.call(Method::POST, Some(key), &[("uploads", "")], &headers, Vec::new()).await?;
        if !status.is_success() {
            return Self::refuse("starting an upload of", key, status, response).await;
        }
        let xml = Self::read_all(response).await?;
        texts(&xml, "UploadId")?.into_iter().next().ok_or_else(|| unavailable("no UploadId in S3's answer"))
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError> {
        let number = part_number.to_string();
        let query = [("partNumber", number.as_str()), ("uploadId", upload_id)];
        let (response, headers, status) =
            self.call(Method::PUT, Some(key), &query, &[], bytes.to_vec()).await?;
        if !status.is_success() {
            return Self::refuse("storing a part of", key, status, response).await;
        }
        drop(Self::read_all(response).await);
        let etag = header(&headers, "etag").ok_or_else(|| unavailable("no ETag for the part"))?;
        Ok(UploadedPart { part_number, etag: etag.to_owned() })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        mut parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError> {
        parts.sort_by_key(|part| part.part_number);
        let mut xml = String::from("<CompleteMultipartUpload>");
        for part in &parts {
            let etag = quick_xml::escape::escape(quoted(&part.etag)).into_owned();
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
                part.part_number
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let query = [("uploadId", upload_id)];
        let (response, _, status) = self.call(Method::POST, Some(key), &query, &[], xml.into_bytes()).await?;
        if !status.is_success() {
            return Self::refuse("completing the upload of", key, status, response).await;
        }
        let answer = Self::read_all(response).await?;
        // S3 may answer 200 with an error document when completing fails late.
        if !texts(&answer, "Code")?.is_empty() {
            return Err(unavailable(format!("completing {key}: {}", String::from_utf8_lossy(&answer))));
        }
        self.head(key).await?.ok_or_else(|| unavailable(format!("{key} missing after its upload completed")))
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError> {
        let query = [("uploadId", upload_id)];
        let (response, _, status) = self.call(Method::DELETE, Some(key), &query, &[], Vec::new()).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            drop(Self::read_all(response).await);
            return Ok(());
        }
        // An unknown upload is `NoSuchUpload` (404) on S3 and R2, but 403 (an aborted one) or 400
        // (an id it cannot parse) on some stores (s3s-fs): when the same credentials may list
        // the bucket, the refusal was about the upload, which does not exist, and aborting is done.
        if status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST {
            let (listing, _, listed) = self
                .call(Method::GET, None, &[("list-type", "2"), ("max-keys", "1")], &[], Vec::new())
                .await?;
            drop(Self::read_all(listing).await);
            if listed.is_success() {
                drop(Self::read_all(response).await);
                return Ok(());
            }
        }
        Self::refuse("aborting the upload of", key, status, response).await
    }
}
