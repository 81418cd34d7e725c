//! The JSON bodies a `transcode-runner` and an instance exchange (`transcode-runner/PROTOCOL.md`).
//!
//! One definition for both ends, so the runner cannot send a shape the instance does not read.
//! The instance checks what it receives (a runner is a remote party); these types only fix the
//! shape. No I/O, no dependency beyond `serde`: the edge core and the native runner both use it.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The job type this protocol knows: the whole HLS ladder of one upload.
pub const LADDER_JOB: &str = "vod-hls-ladder";

/// Where an idle runner waits for jobs: a `GET` with `X-Runner-Token` and a WebSocket upgrade.
pub const WAIT_PATH: &str = "/api/v1/runners/jobs/wait";
/// Where a runner asks for jobs (a `POST` with its token in the body, as in PeerTube).
pub const REQUEST_PATH: &str = "/api/v1/runners/jobs/request";
/// The query parameter that asks an instance without the wait socket to hold `REQUEST_PATH`
/// until a job is available, for up to this many seconds (a long poll). PeerTube ignores it.
pub const HOLD_PARAM: &str = "waitSeconds";
/// The text message the instance sends on the wait socket when jobs may be pending.
pub const AVAILABLE_JOBS: &str = "available-jobs";
/// The runner's keep-alive text message on the wait socket ...
pub const PING: &str = "ping";
/// ... and the instance's answer.
pub const PONG: &str = "pong";

/// The `payload` of a `vod-hls-ladder` job, as `accept` hands it to the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LadderPayload {
    /// The video the renditions belong to.
    #[serde(rename = "videoUUID")]
    pub video_uuid: String,
    /// Where the original is read.
    pub input: LadderInput,
    /// What to make and where to put it.
    pub output: LadderOutput,
}

/// The original upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LadderInput {
    /// The original through the instance's runner API (ranged `GET` with the job token).
    /// Filled in when the job is handed out: the instance stores payloads without URLs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub video_file_url: String,
    /// The original straight from storage, when the instance has R2 credentials: a presigned
    /// `GET` that takes no token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_video_file_url: Option<String>,
    /// Bytes.
    pub size: u64,
}

impl LadderInput {
    /// The URL to read the original from: storage when the instance offered it.
    pub fn preferred_url(&self) -> &str {
        self.presigned_video_file_url.as_deref().unwrap_or(&self.video_file_url)
    }
}

/// The ladder to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LadderOutput {
    /// Enabled resolutions (short side); those above the input are skipped.
    pub resolutions: Vec<u32>,
    /// Whether to add the input's own resolution when it is not in the list.
    pub transcode_original_resolution: bool,
    /// The frame rate cap.
    pub fps_max: u32,
    /// Where result files are `PUT` (`<uploadUrl>/<kind>/<name>`). Filled in when the job is
    /// handed out, like [`LadderInput::video_file_url`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub upload_url: String,
    /// Whether the instance hands out presigned storage `PUT`s for result files
    /// (`<uploadUrl>-url`, [`UploadUrlRequest`]); only `accept` answers carry it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub presigned_uploads: bool,
}

/// A pending job as `request` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableJob {
    /// The job's UUID.
    pub uuid: String,
    /// The job type, [`LADDER_JOB`].
    #[serde(rename = "type")]
    pub kind: String,
    /// What the job is about, with its URLs.
    pub payload: LadderPayload,
}

/// The answer to `request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableJobs {
    /// Pending jobs, oldest first.
    pub available_jobs: Vec<AvailableJob>,
}

/// What an `error` carries besides the tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Why the job failed, shown to administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What a runner asks a presigned `PUT` for, besides its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadUrlRequest {
    /// `hls`, `thumbnail`, `preview` or `storyboard`, as in the API upload path.
    pub kind: String,
    /// The file name, as in the API upload path.
    pub name: String,
    /// The file's size in bytes.
    pub size: u64,
}

/// A presigned `PUT` for one result file, straight to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    /// The URL; it authorizes itself, so it is a secret until it expires.
    pub url: String,
    /// When it stops working (ISO 8601).
    pub expires_at: String,
    /// Headers to send with the `PUT` (not signed, so storage keeps them as sent).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// What an `update` carries besides the tokens; absent fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobUpdate {
    /// Percent done. Read leniently: any number is rounded and kept within 0..=100, anything
    /// else reads as absent.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_percent")]
    pub progress: Option<u8>,
    /// Facts probed from the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoFacts>,
    /// A rendition whose files are uploaded, to publish now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendition: Option<RenditionReport>,
}

/// A percentage from any JSON value: numbers rounded and clamped to 0..=100, the rest `None`.
fn lenient_percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u8>, D::Error> {
    struct Percent;

    fn clamped(value: i64) -> Option<u8> {
        u8::try_from(value.clamp(0, 100)).ok()
    }

    impl<'de> Visitor<'de> for Percent {
        type Value = Option<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a percentage")
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(clamped(i64::try_from(value).unwrap_or(i64::MAX)))
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(clamped(value))
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            // `as` saturates, as the instance always read it.
            Ok(clamped(value.round() as i64))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    deserializer.deserialize_any(Percent)
}

/// Facts about the input that PeerTube shows on the video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoFacts {
    /// Seconds.
    pub duration: f64,
    /// Width over height as displayed, rounded to 4 decimals like PeerTube's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<f64>,
}

/// One uploaded rendition, as the instance publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenditionReport {
    /// Short side in pixels.
    pub resolution: u32,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// The fragmented MP4's name, under `hls/<videoUUID>/`.
    pub file: String,
    /// The rendition playlist's name, beside it.
    pub playlist: String,
    /// The fMP4's size.
    pub size: u64,
    /// `CODECS`, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    /// Whether it carries audio.
    pub has_audio: bool,
    /// Whether it carries video.
    pub has_video: bool,
    /// `"<first>-<last>"` byte range → hex SHA-256 of that segment.
    pub segments_sha256: BTreeMap<String, String>,
}

/// The `payload` of `success`: the images, already uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessPayload {
    /// The thumbnail's file name.
    pub thumbnail: String,
    /// The preview's file name.
    pub preview: String,
    /// The storyboard, when the video is long enough for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storyboard: Option<StoryboardReport>,
}

/// A storyboard sprite and its layout, in PeerTube's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoryboardReport {
    /// The sprite's file name.
    pub file: String,
    /// One frame's width.
    pub sprite_width: u32,
    /// One frame's height.
    pub sprite_height: u32,
    /// The sprite's width.
    pub total_width: u32,
    /// The sprite's height.
    pub total_height: u32,
    /// Seconds between frames.
    pub sprite_duration: u32,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_payload_reads_with_and_without_a_presigned_url() {
        let text = r#"{"videoUUID":"v","input":{"videoFileUrl":"https://i/f","size":5},
            "output":{"resolutions":[720,240],"transcodeOriginalResolution":true,"fpsMax":60,"uploadUrl":"https://i/u"}}"#;
        let payload: LadderPayload = serde_json::from_str(text).unwrap();
        assert_eq!(payload.input.preferred_url(), "https://i/f");
        let mut signed = payload.clone();
        signed.input.presigned_video_file_url = Some("https://r2/f?X-Amz-Signature=1".into());
        let again: LadderPayload = serde_json::from_str(&serde_json::to_string(&signed).unwrap()).unwrap();
        assert_eq!(again.input.preferred_url(), "https://r2/f?X-Amz-Signature=1");
    }

    #[test]
    fn presigned_uploads_are_off_unless_offered() {
        let text = r#"{"resolutions":[240],"transcodeOriginalResolution":false,"fpsMax":30,"uploadUrl":"u"}"#;
        let mut output: LadderOutput = serde_json::from_str(text).unwrap();
        assert!(!output.presigned_uploads);
        assert!(!serde_json::to_string(&output).unwrap().contains("presignedUploads"));
        output.presigned_uploads = true;
        assert!(serde_json::to_string(&output).unwrap().contains(r#""presignedUploads":true"#));
    }

    #[test]
    fn progress_reads_leniently() {
        let read = |text: &str| serde_json::from_str::<JobUpdate>(text).unwrap().progress;
        assert_eq!(read(r#"{"progress":40}"#), Some(40));
        assert_eq!(read(r#"{"progress":40.6}"#), Some(41));
        assert_eq!(read(r#"{"progress":150}"#), Some(100));
        assert_eq!(read(r#"{"progress":-3}"#), Some(0));
        assert_eq!(read(r#"{"progress":"40"}"#), None);
        assert_eq!(read(r#"{"progress":{"a":[1]},"video":null}"#), None);
        assert_eq!(read(r#"{"progress":null}"#), None);
        assert_eq!(read(r#"{}"#), None);
    }

    #[test]
    fn stored_payloads_leave_out_the_urls_they_do_not_have() {
        let stored = r#"{"videoUUID":"v","input":{"size":5},"output":{"resolutions":[240],"transcodeOriginalResolution":true,"fpsMax":60}}"#;
        let payload: LadderPayload = serde_json::from_str(stored).unwrap();
        assert_eq!(payload.input.video_file_url, "");
        assert_eq!(serde_json::to_string(&payload).unwrap(), stored);
    }

    #[test]
    fn an_update_leaves_out_what_it_does_not_carry() {
        let update = JobUpdate { progress: Some(40), ..JobUpdate::default() };
        assert_eq!(serde_json::to_string(&update).unwrap(), r#"{"progress":40}"#);
    }
}
