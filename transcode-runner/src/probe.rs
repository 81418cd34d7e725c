//! Reads what an input file contains, through `ffprobe`'s JSON output.
//!
//! [`parse_probe`] is pure so the mapping from ffprobe's loosely typed JSON (numbers as strings,
//! rotation in two places) to [`Probe`] is unit-tested; [`probe`] only adds the process call.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// What the planner needs to know about an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Container duration in seconds; `None` when neither the container nor a stream knows it.
    pub duration: Option<f64>,
    /// Container bitrate in bits/s, falling back to the video stream's.
    pub bitrate: Option<u64>,
    /// The first video stream that is not cover art.
    pub video: Option<VideoStream>,
    /// The first audio stream.
    pub audio: Option<AudioStream>,
}

impl Probe {
    pub fn has_audio(&self) -> bool {
        self.audio.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoStream {
    pub codec: String,
    /// Stored width, before rotation.
    pub width: u32,
    /// Stored height, before rotation.
    pub height: u32,
    /// Clockwise display rotation in degrees, normalised to 0, 90, 180 or 270.
    pub rotation: u32,
    /// Frames per second from `avg_frame_rate`, falling back to `r_frame_rate`.
    pub fps: Option<f64>,
    pub pix_fmt: Option<String>,
    pub bitrate: Option<u64>,
}

impl VideoStream {
    /// Width and height as displayed: ffmpeg auto-rotates while decoding, so filters see these.
    pub fn display_size(&self) -> (u32, u32) {
        if self.rotation % 180 == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioStream {
    pub codec: String,
    pub bitrate: Option<u64>,
    pub channel_layout: Option<String>,
}

/// Runs ffprobe on `input` and parses its report.
pub async fn probe(ffprobe: &str, input: &Path) -> Result<Probe> {
    if !input.is_file() {
        bail!("{} does not exist or is not a file", input.display());
    }
    let output = tokio::process::Command::new(ffprobe)
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(input)
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("cannot run {ffprobe}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("{} is not a readable video: ffprobe says {:?}", input.display(), last_line(&stderr));
    }
    let json = String::from_utf8_lossy(&output.stdout);
    let probe = parse_probe(&json).with_context(|| format!("{} is not a readable video", input.display()))?;
    Ok(probe)
}

/// Parses `ffprobe -print_format json -show_format -show_streams` output.
pub fn parse_probe(json: &str) -> Result<Probe> {
    let raw: RawProbe = serde_json::from_str(json).context("ffprobe printed invalid JSON")?;
    let video_raw =
        raw.streams.iter().find(|s| s.codec_type.as_deref() == Some("video") && !s.is_cover_art());
    let audio_raw = raw.streams.iter().find(|s| s.codec_type.as_deref() == Some("audio"));
    if video_raw.is_none() && audio_raw.is_none() {
        bail!("it contains no video or audio stream");
    }
    let video = video_raw.map(RawStream::to_video).transpose()?;
    let audio = audio_raw.map(|s| AudioStream {
        codec: s.codec_name.clone().unwrap_or_default(),
        bitrate: parse_number(s.bit_rate.as_deref()),
        channel_layout: s.channel_layout.clone(),
    });
    let format = raw.format.unwrap_or_default();
    let duration = parse_float(format.duration.as_deref())
        .or_else(|| video_raw.and_then(|s| parse_float(s.duration.as_deref())))
        .or_else(|| audio_raw.and_then(|s| parse_float(s.duration.as_deref())));
    let bitrate = parse_number(format.bit_rate.as_deref()).or(video.as_ref().and_then(|v| v.bitrate));
    Ok(Probe { duration, bitrate, video, audio })
}

/// Parses an ffprobe rational such as `30000/1001`; `0/0` (unknown) gives `None`.
pub fn parse_rational(text: &str) -> Option<f64> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    let num: f64 = num.trim().parse().ok()?;
    let den: f64 = den.trim().parse().ok()?;
    let value = num / den;
    (value.is_finite() && value > 0.0).then_some(value)
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error message").trim()
}

fn parse_number(text: Option<&str>) -> Option<u64> {
    text?.trim().parse().ok().filter(|&n| n > 0)
}

fn parse_float(text: Option<&str>) -> Option<f64> {
    text?.trim().parse().ok().filter(|&d: &f64| d.is_finite() && d > 0.0)
}

#[derive(Deserialize)]
struct RawProbe {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize, Default)]
struct RawFormat {
    duration: Option<String>,
    bit_rate: Option<String>,
}

#[derive(Deserialize)]
struct RawStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    pix_fmt: Option<String>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    bit_rate: Option<String>,
    duration: Option<String>,
    channel_layout: Option<String>,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    side_data_list: Vec<serde_json::Value>,
    #[serde(default)]
    disposition: serde_json::Map<String, serde_json::Value>,
}

impl RawStream {
    /// Audio files often carry their cover as a one-frame "video" stream; it is not a video.
    fn is_cover_art(&self) -> bool {
        self.disposition.get("attached_pic").and_then(serde_json::Value::as_i64) == Some(1)
    }

    fn to_video(&self) -> Result<VideoStream> {
        let (Some(width), Some(height)) = (self.width, self.height) else {
            bail!("its video stream has no dimensions");
        };
        if width == 0 || height == 0 {
            bail!("its video stream is {width}x{height}");
        }
        let fps = self
            .avg_frame_rate
            .as_deref()
            .and_then(parse_rational)
            .or_else(|| self.r_frame_rate.as_deref().and_then(parse_rational));
        Ok(VideoStream {
            codec: self.codec_name.clone().unwrap_or_default(),
            width,
            height,
            rotation: self.rotation(),
            fps,
            pix_fmt: self.pix_fmt.clone(),
            bitrate: parse_number(self.bit_rate.as_deref()),
        })
    }

    /// Newer ffmpeg reports rotation as a display-matrix side data (counter-clockwise, so negated
    /// for clockwise), older files and tools as a `rotate` tag (clockwise).
    fn rotation(&self) -> u32 {
        let from_side_data = self.side_data_list.iter().find_map(|d| d.get("rotation")?.as_f64()).map(|r| -r);
        let from_tag = || self.tags.get("rotate")?.as_str()?.trim().parse::<f64>().ok();
        let degrees = from_side_data.or_else(from_tag).unwrap_or(0.0);
        // Snap to the nearest quarter turn: only those change which side is short.
        let quarter_turns = (degrees / 90.0).round() as i64;
        (quarter_turns.rem_euclid(4) * 90) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video_json(extra: &str) -> String {
        format!(
            r#"{{"streams":[{{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,
            "pix_fmt":"yuv420p","avg_frame_rate":"30000/1001","r_frame_rate":"30/1","bit_rate":"4000000"{extra}}},
            {{"codec_type":"audio","codec_name":"aac","bit_rate":"128000","channel_layout":"stereo"}}],
            "format":{{"duration":"12.5","bit_rate":"4200000"}}}}"#
        )
    }

    #[test]
    fn parses_a_landscape_video_with_audio() {
        let probe = parse_probe(&video_json("")).expect("parses");
        let video = probe.video.as_ref().expect("video");
        assert_eq!((video.width, video.height, video.rotation), (1920, 1080, 0));
        assert!((video.fps.expect("fps") - 29.97).abs() < 0.01);
        assert_eq!(probe.duration, Some(12.5));
        assert_eq!(probe.bitrate, Some(4_200_000));
        assert!(probe.has_audio());
        let audio = probe.audio.expect("audio");
        assert_eq!((audio.codec.as_str(), audio.bitrate), ("aac", Some(128_000)));
    }

    #[test]
    fn rotation_from_side_data_and_tags() {
        let side = video_json(r#","side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]"#);
        let video = parse_probe(&side).expect("parses").video.expect("video");
        assert_eq!(video.rotation, 90);
        assert_eq!(video.display_size(), (1080, 1920));
        let tag = video_json(r#","tags":{"rotate":"270"}"#);
        assert_eq!(parse_probe(&tag).expect("parses").video.expect("video").rotation, 270);
    }

    #[test]
    fn cover_art_is_not_video() {
        let json = r#"{"streams":[{"codec_type":"audio","codec_name":"mp3"},
            {"codec_type":"video","codec_name":"mjpeg","width":500,"height":500,"disposition":{"attached_pic":1}}],
            "format":{"duration":"3.0"}}"#;
        let probe = parse_probe(json).expect("parses");
        assert!(probe.video.is_none());
        assert!(probe.has_audio());
    }

    #[test]
    fn empty_report_is_refused() {
        let error = parse_probe("{}").expect_err("no streams");
        assert!(error.to_string().contains("no video or audio"), "{error}");
    }

    #[test]
    fn rationals() {
        assert_eq!(parse_rational("25/1"), Some(25.0));
        assert_eq!(parse_rational("0/0"), None);
        assert_eq!(parse_rational("24"), Some(24.0));
    }
}
