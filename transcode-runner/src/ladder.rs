//! PeerTube's rendition ladder: which resolutions to make, at which frame rate and bitrate.
//!
//! Everything here is a pure function of a [`Probe`] and a [`LadderConfig`], so the rules are
//! tested without ffmpeg. The numbers follow PeerTube 6.3's defaults (see
//! `shared/reference/media-pipeline.md` §1–2); where PeerTube's behaviour is undefined for an
//! input (below 144p, odd sizes) the choice made here is documented on the function.

use crate::probe::{AudioStream, Probe};

/// Which renditions an instance wants; mirrors PeerTube's `transcoding` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LadderConfig {
    /// Enabled resolutions (short side), in any order.
    pub resolutions: Vec<u32>,
    /// Also make the input's own resolution (made even), PeerTube's
    /// `always_transcode_original_resolution`.
    pub always_transcode_original_resolution: bool,
    /// PeerTube's `fps.max`.
    pub max_fps: u32,
}

impl LadderConfig {
    /// The ladder Edgetube enables by default: 1080p down to 240p, plus the original, 60 fps max.
    pub fn edgetube_default() -> Self {
        LadderConfig {
            resolutions: vec![1080, 720, 480, 360, 240],
            always_transcode_original_resolution: true,
            max_fps: 60,
        }
    }
}

/// Everything one transcoding job will produce, before any command is built.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodePlan {
    pub source: VideoSource,
    /// Largest first.
    pub renditions: Vec<Rendition>,
    pub audio: AudioPlan,
    pub duration: Option<f64>,
    /// The input frame rate as PeerTube rounds it; renditions at another rate get an fps filter.
    pub input_fps: u32,
}

/// Where the frames of the renditions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSource {
    /// The input's own video stream.
    Input,
    /// An audio-only upload: PeerTube turns it into a video of its preview image.
    StillImage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    /// The short side, as PeerTube names renditions (`-720.m3u8`).
    pub resolution: u32,
    /// Output size as ffmpeg's `scale` with `-2` will produce it.
    pub width: u32,
    pub height: u32,
    pub scale: Scale,
    pub fps: u32,
    /// Keyframe interval in frames: 2 s, so that 4 s HLS segments cut on keyframes.
    pub gop: u32,
    /// Target bitrate `T` in bits/s: `-maxrate T -bufsize 2T`.
    pub bitrate: u64,
    /// The input's own resolution: it keeps the input frame rate.
    pub is_original: bool,
}

/// How to scale to a rendition: fix the short side, let ffmpeg derive an even long side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Landscape or square input: `scale=w=-2:h=<res>`.
    Height(u32),
    /// Portrait input: `scale=w=<res>:h=-2`.
    Width(u32),
}

impl Scale {
    pub fn filter(self) -> String {
        match self {
            Scale::Height(h) => format!("scale=w=-2:h={h}"),
            Scale::Width(w) => format!("scale=w={w}:h=-2"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioPlan {
    /// No audio stream in the input.
    None,
    /// AAC that PeerTube would keep as is.
    Copy,
    /// Re-encode with ffmpeg's `aac` at this bitrate (bits/s).
    Encode { bitrate: u32 },
}

/// Why an input cannot be planned.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanError {
    /// The input has neither a video nor an audio stream.
    NothingToTranscode,
    /// PeerTube refuses inputs below 0.1 fps.
    FrameRateTooLow(f64),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NothingToTranscode => write!(f, "the input has no video or audio stream"),
            PlanError::FrameRateTooLow(fps) => write!(f, "the input frame rate {fps} is below 0.1 fps"),
        }
    }
}

impl std::error::Error for PlanError {}

/// The size of the preview image that audio-only uploads are turned into.
pub const STILL_IMAGE_SIZE: (u32, u32) = (850, 480);
/// Audio-only uploads become a 480p video.
pub const STILL_IMAGE_RESOLUTION: u32 = 480;
/// ... at no more than 25 fps; a still image needs no more.
pub const STILL_IMAGE_FPS: u32 = 25;

/// Plans the renditions of `probe` under `config`.
pub fn plan(probe: &Probe, config: &LadderConfig) -> Result<TranscodePlan, PlanError> {
    let audio = probe.audio.as_ref().map_or(AudioPlan::None, audio_plan);
    let Some(video) = &probe.video else {
        if probe.audio.is_none() {
            return Err(PlanError::NothingToTranscode);
        }
        return Ok(TranscodePlan {
            source: VideoSource::StillImage,
            renditions: vec![still_image_rendition(probe.bitrate)],
            audio,
            duration: probe.duration,
            input_fps: STILL_IMAGE_FPS,
        });
    };
    // An unknown frame rate is rare (raw streams); PeerTube's probe would then fail, 25 is safer.
    let input_fps = video.fps.unwrap_or(25.0);
    if input_fps < 0.1 {
        return Err(PlanError::FrameRateTooLow(input_fps));
    }
    // PeerTube rounds the probed frame rate to an integer before applying its rules.
    let input_fps = input_fps.round().max(1.0) as u32;
    let (width, height) = video.display_size();
    let renditions = resolutions(width, height, config)
        .into_iter()
        .map(|(resolution, is_original)| {
            let fps = compute_output_fps(input_fps, resolution, is_original, config.max_fps);
            rendition(width, height, resolution, fps, is_original, probe.bitrate)
        })
        .collect();
    Ok(TranscodePlan { source: VideoSource::Input, renditions, audio, duration: probe.duration, input_fps })
}

/// The short side of a displayed frame: what PeerTube calls its resolution.
pub fn resolution_of(width: u32, height: u32) -> u32 {
    width.min(height)
}

/// The resolutions to make, largest first, each flagged when it is the input's own.
///
/// The original resolution is made even by rounding down, so it never upscales.
pub fn resolutions(width: u32, height: u32, config: &LadderConfig) -> Vec<(u32, bool)> {
    let input = resolution_of(width, height);
    let original = (input & !1).max(2);
    let mut list: Vec<(u32, bool)> = config
        .resolutions
        .iter()
        .filter(|&&r| r <= input)
        .map(|&r| (r, r == original && config.always_transcode_original_resolution))
        .collect();
    if config.always_transcode_original_resolution && !list.iter().any(|&(r, _)| r == original) {
        list.push((original, true));
    }
    list.sort_by_key(|r| std::cmp::Reverse(r.0));
    list.dedup_by_key(|r| r.0);
    list
}

/// PeerTube's `computeOutputFPS`: lower renditions drop to a standard rate, nothing exceeds max.
pub fn compute_output_fps(input_fps: u32, resolution: u32, is_original: bool, max_fps: u32) -> u32 {
    let mut fps = input_fps;
    if !is_original && resolution < 720 && fps > 30.min(max_fps) {
        fps = closest_divisor(fps, &[24, 25, 30]);
    }
    fps = fps.max(1);
    if fps > max_fps {
        fps = closest_divisor(fps, &[50, 60, max_fps]);
    }
    fps
}

/// The largest candidate dividing `fps` exactly, else the one leaving the smallest remainder.
fn closest_divisor(fps: u32, candidates: &[u32]) -> u32 {
    candidates
        .iter()
        .copied()
        .filter(|&c| c > 0 && c <= fps)
        .min_by_key(|&c| (fps % c, std::cmp::Reverse(c)))
        .unwrap_or(fps)
}

fn rendition(
    width: u32,
    height: u32,
    resolution: u32,
    fps: u32,
    is_original: bool,
    input_bitrate: Option<u64>,
) -> Rendition {
    let portrait = height > width;
    let scale = if portrait { Scale::Width(resolution) } else { Scale::Height(resolution) };
    let (out_width, out_height) = scaled_size(width, height, scale);
    let ratio = width as f64 / height as f64;
    Rendition {
        resolution,
        width: out_width,
        height: out_height,
        scale,
        fps,
        gop: fps * 2,
        bitrate: target_bitrate(resolution, ratio, fps, input_bitrate),
        is_original,
    }
}

fn still_image_rendition(input_bitrate: Option<u64>) -> Rendition {
    let (width, height) = STILL_IMAGE_SIZE;
    rendition(width, height, STILL_IMAGE_RESOLUTION, STILL_IMAGE_FPS, false, input_bitrate)
}

/// The size ffmpeg's `scale` gives: the free side is `round(fixed × other / this / 2) × 2`.
pub fn scaled_size(width: u32, height: u32, scale: Scale) -> (u32, u32) {
    let even = |fixed: u32, num: u32, den: u32| {
        let half = (fixed as u64 * num as u64 + den as u64) / (2 * den as u64);
        (half * 2).max(2) as u32
    };
    match scale {
        Scale::Height(h) => (even(h, width, height), h),
        Scale::Width(w) => (w, even(w, height, width)),
    }
}

/// Bits per pixel per frame, per standard resolution: (resolution, average, maximum, minimum).
const BPP: [(u32, f64, f64, f64); 8] = [
    (2160, 0.08, 0.14, 0.02),
    (1440, 0.09, 0.16, 0.02),
    (1080, 0.10, 0.17, 0.02),
    (720, 0.11, 0.19, 0.02),
    (480, 0.12, 0.22, 0.02),
    (360, 0.15, 0.26, 0.02),
    (240, 0.17, 0.29, 0.02),
    (144, 0.19, 0.32, 0.02),
];

/// Theoretical average, maximum and minimum bitrates in bits/s (PeerTube's `bitrate.ts`).
///
/// `ratio` is width / height. Below 144p PeerTube has no bpp row; 144p's is used.
pub fn theoretical_bitrates(resolution: u32, ratio: f64, fps: u32) -> (u64, u64, u64) {
    let (_, avg, max, min) =
        BPP.iter().copied().find(|row| row.0 <= resolution).unwrap_or(BPP[BPP.len() - 1]);
    let long_side = if ratio < 1.0 { resolution as f64 / ratio } else { resolution as f64 * ratio };
    let pixels_per_second = resolution as f64 * long_side * fps as f64;
    let rate = |bpp: f64, fallback: u64| match (pixels_per_second * bpp).floor() as u64 {
        0 => fallback,
        rate => rate,
    };
    (rate(avg, 192_000), rate(max, 256_000), rate(min, 10_000))
}

/// `T = max(min, min(avg, input × 1.3))`, or `max(min, avg)` when the input bitrate is unknown.
pub fn target_bitrate(resolution: u32, ratio: f64, fps: u32, input_bitrate: Option<u64>) -> u64 {
    let (avg, _, min) = theoretical_bitrates(resolution, ratio, fps);
    let capped = match input_bitrate {
        Some(input) => avg.min((input as f64 * 1.3).floor() as u64),
        None => avg,
    };
    min.max(capped)
}

/// PeerTube keeps AAC up to 384 kb/s; everything else is re-encoded at a bitrate from its own.
pub fn audio_plan(audio: &AudioStream) -> AudioPlan {
    const MAX_COPY: u64 = 384_000;
    let layout_known = matches!(audio.channel_layout.as_deref(), Some(l) if !l.is_empty() && l != "quad");
    if audio.codec == "aac" {
        return match audio.bitrate {
            Some(b) if b > MAX_COPY => AudioPlan::Encode { bitrate: 384_000 },
            _ if layout_known => AudioPlan::Copy,
            _ => AudioPlan::Encode { bitrate: 256_000 },
        };
    }
    let bitrate = match audio.bitrate {
        Some(b) if b <= 192_000 => 128_000,
        Some(b) if b <= MAX_COPY => 256_000,
        Some(_) => 384_000,
        None => 256_000,
    };
    AudioPlan::Encode { bitrate }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::VideoStream;

    /// A compact input description: `(width, height, fps, bitrate, audio)`.
    struct Input {
        size: Option<(u32, u32)>,
        fps: f64,
        bitrate: Option<u64>,
        audio: Option<(&'static str, Option<u64>)>,
    }

    fn probe(input: &Input) -> Probe {
        Probe {
            duration: Some(5.0),
            bitrate: input.bitrate,
            video: input.size.map(|(width, height)| VideoStream {
                codec: "h264".into(),
                width,
                height,
                rotation: 0,
                fps: Some(input.fps),
                pix_fmt: Some("yuv420p".into()),
                bitrate: None,
            }),
            audio: input.audio.map(|(codec, bitrate)| AudioStream {
                codec: codec.into(),
                bitrate,
                channel_layout: Some("stereo".into()),
            }),
        }
    }

    /// Renders a plan as one line per rendition, so expectations read like a table.
    fn render(plan: &TranscodePlan) -> String {
        let mut out = format!("{:?} audio={:?}\n", plan.source, plan.audio);
        for r in &plan.renditions {
            out += &format!(
                "{}{} {}x{} {} fps gop {} T={} {}\n",
                r.resolution,
                if r.is_original { "*" } else { "" },
                r.width,
                r.height,
                r.fps,
                r.gop,
                r.bitrate,
                r.scale.filter()
            );
        }
        out
    }

    fn check(input: Input, expect: &str) {
        let plan = plan(&probe(&input), &LadderConfig::edgetube_default()).expect("plans");
        let actual = render(&plan);
        let expect: String =
            expect.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!("{l}\n")).collect();
        assert_eq!(actual, expect, "\nactual:\n{actual}");
    }

    #[test]
    fn p720_25fps_like_big_buck_bunny() {
        check(
            Input {
                size: Some((1280, 720)),
                fps: 25.0,
                bitrate: Some(1_589_963),
                audio: Some(("aac", Some(384_828))),
            },
            "Input audio=Encode { bitrate: 384000 }
             720* 1280x720 25 fps gop 50 T=2066951 scale=w=-2:h=720
             480 854x480 25 fps gop 50 T=1228799 scale=w=-2:h=480
             360 640x360 25 fps gop 50 T=864000 scale=w=-2:h=360
             240 426x240 25 fps gop 50 T=435199 scale=w=-2:h=240",
        );
    }

    #[test]
    fn p1080_60fps_lower_renditions_drop_to_30() {
        check(
            Input { size: Some((1920, 1080)), fps: 60.0, bitrate: None, audio: Some(("aac", Some(128_000))) },
            "Input audio=Copy
             1080* 1920x1080 60 fps gop 120 T=12441600 scale=w=-2:h=1080
             720 1280x720 60 fps gop 120 T=6082560 scale=w=-2:h=720
             480 854x480 30 fps gop 60 T=1474559 scale=w=-2:h=480
             360 640x360 30 fps gop 60 T=1036800 scale=w=-2:h=360
             240 426x240 30 fps gop 60 T=522239 scale=w=-2:h=240",
        );
    }

    #[test]
    fn p2160_24fps_gets_the_whole_ladder_plus_original() {
        check(
            Input {
                size: Some((3840, 2160)),
                fps: 23.976,
                bitrate: Some(4_946_645),
                audio: Some(("aac", Some(140_872))),
            },
            "Input audio=Copy
             2160* 3840x2160 24 fps gop 48 T=6430638 scale=w=-2:h=2160
             1080 1920x1080 24 fps gop 48 T=4976640 scale=w=-2:h=1080
             720 1280x720 24 fps gop 48 T=2433024 scale=w=-2:h=720
             480 854x480 24 fps gop 48 T=1179647 scale=w=-2:h=480
             360 640x360 24 fps gop 48 T=829440 scale=w=-2:h=360
             240 426x240 24 fps gop 48 T=417791 scale=w=-2:h=240",
        );
    }

    #[test]
    fn portrait_scales_by_width() {
        check(
            Input {
                size: Some((1080, 1920)),
                fps: 30.0,
                bitrate: Some(8_000_000),
                audio: Some(("aac", Some(128_000))),
            },
            "Input audio=Copy
             1080* 1080x1920 30 fps gop 60 T=6220800 scale=w=1080:h=-2
             720 720x1280 30 fps gop 60 T=3041280 scale=w=720:h=-2
             480 480x854 30 fps gop 60 T=1474560 scale=w=480:h=-2
             360 360x640 30 fps gop 60 T=1036800 scale=w=360:h=-2
             240 240x426 30 fps gop 60 T=522240 scale=w=240:h=-2",
        );
    }

    #[test]
    fn square_low_bitrate_is_capped_by_the_input_and_floored_by_min_bpp() {
        // 35 kb/s × 1.3 is below every minimum rate, so T is the 0.02 bpp floor.
        check(
            Input { size: Some((1088, 1088)), fps: 10.0, bitrate: Some(35_080), audio: None },
            "Input audio=None
             1088* 1088x1088 10 fps gop 20 T=236748 scale=w=-2:h=1088
             1080 1080x1080 10 fps gop 20 T=233280 scale=w=-2:h=1080
             720 720x720 10 fps gop 20 T=103680 scale=w=-2:h=720
             480 480x480 10 fps gop 20 T=46080 scale=w=-2:h=480
             360 360x360 10 fps gop 20 T=45604 scale=w=-2:h=360
             240 240x240 10 fps gop 20 T=45604 scale=w=-2:h=240",
        );
    }

    #[test]
    fn tiny_10x8_only_keeps_its_original() {
        check(
            Input {
                size: Some((10, 8)),
                fps: 25.0,
                bitrate: Some(20_000),
                audio: Some(("aac", Some(64_000))),
            },
            "Input audio=Copy
             8* 10x8 25 fps gop 50 T=380 scale=w=-2:h=8",
        );
    }

    #[test]
    fn audio_only_becomes_a_480p_still_image() {
        check(
            Input { size: None, fps: 0.0, bitrate: Some(137_932), audio: Some(("vorbis", Some(160_003))) },
            "StillImage audio=Encode { bitrate: 128000 }
             480 850x480 25 fps gop 50 T=204000 scale=w=-2:h=480",
        );
    }

    #[test]
    fn no_audio_plans_video_only() {
        check(
            Input { size: Some((640, 272)), fps: 25.0, bitrate: Some(1_000_000), audio: None },
            "Input audio=None
             272* 640x272 25 fps gop 50 T=739840 scale=w=-2:h=272
             240 564x240 25 fps gop 50 T=576000 scale=w=-2:h=240",
        );
    }

    #[test]
    fn fps_rules() {
        // (input fps, resolution, original, expected)
        let cases = [
            (60, 480, false, 30),
            (50, 480, false, 25),
            (48, 360, false, 24),
            (120, 480, false, 30),
            (31, 240, false, 30),
            (60, 720, false, 60),
            (60, 480, true, 60),
            (120, 720, false, 60),
            (100, 1080, false, 50),
            (30, 240, false, 30),
            (0, 240, false, 1),
        ];
        for (input, res, original, expected) in cases {
            assert_eq!(
                compute_output_fps(input, res, original, 60),
                expected,
                "{input} fps at {res}p original={original}"
            );
        }
    }

    #[test]
    fn audio_rules() {
        let audio = |codec: &str, bitrate: Option<u64>, layout: Option<&str>| AudioStream {
            codec: codec.into(),
            bitrate,
            channel_layout: layout.map(Into::into),
        };
        assert_eq!(audio_plan(&audio("aac", Some(384_000), Some("stereo"))), AudioPlan::Copy);
        assert_eq!(
            audio_plan(&audio("aac", Some(500_000), Some("stereo"))),
            AudioPlan::Encode { bitrate: 384_000 }
        );
        assert_eq!(
            audio_plan(&audio("aac", Some(128_000), Some("quad"))),
            AudioPlan::Encode { bitrate: 256_000 }
        );
        assert_eq!(
            audio_plan(&audio("mp3", Some(256_000), Some("stereo"))),
            AudioPlan::Encode { bitrate: 256_000 }
        );
        assert_eq!(
            audio_plan(&audio("opus", Some(96_000), Some("stereo"))),
            AudioPlan::Encode { bitrate: 128_000 }
        );
        assert_eq!(
            audio_plan(&audio("flac", Some(900_000), Some("stereo"))),
            AudioPlan::Encode { bitrate: 384_000 }
        );
        assert_eq!(audio_plan(&audio("vorbis", None, None)), AudioPlan::Encode { bitrate: 256_000 });
    }

    #[test]
    fn ffmpeg_even_rounding() {
        assert_eq!(scaled_size(1280, 720, Scale::Height(480)), (854, 480));
        assert_eq!(scaled_size(1280, 720, Scale::Height(240)), (426, 240));
        assert_eq!(scaled_size(1080, 1920, Scale::Width(480)), (480, 854));
    }
}
