//! Thumbnail, preview and storyboard: the images PeerTube shows before a video plays.
//!
//! Thumbnail (280×157) and preview (850×480) come from one ffmpeg that picks the most
//! representative of ~50 frames around the middle (ffmpeg's `thumbnail` filter, as PeerTube's
//! `frames_to_analyze`) and fills each size exactly: scaled to cover it, then centre-cropped.
//! Cropping was chosen over padding because PeerTube's image processing fills (`cover`) too, and
//! bars around a 280×157 card look broken in a grid.
//! Audio-only inputs have no frame: their images show the waveform instead.

use std::path::Path;

use crate::ffmpeg_plan::FfmpegCommand;

pub const THUMBNAIL_SIZE: (u32, u32) = (280, 157);
pub const PREVIEW_SIZE: (u32, u32) = (850, 480);
/// How many frames the `thumbnail` filter compares.
pub const FRAMES_TO_ANALYZE: u32 = 50;

/// The storyboard sprite sheet of a video, as PeerTube's `generate-storyboard` lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoryboardLayout {
    pub sprite_width: u32,
    pub sprite_height: u32,
    /// Seconds between two sprites.
    pub sprite_duration: u32,
    pub total_sprites: u32,
    pub columns: u32,
    pub rows: u32,
}

/// The longest sprite edge in pixels.
const SPRITE_LONG_EDGE: u32 = 192;
/// Neither grid edge holds more than 11 sprites (121 in all).
const MAX_GRID_EDGE: u32 = 11;
/// Videos shorter than this get no storyboard.
const MIN_STORYBOARD_SECONDS: f64 = 3.0;

/// Lays out the storyboard of a `width`×`height` (as displayed) video of `duration` seconds;
/// `None` when the video is too short for one.
pub fn storyboard_layout(width: u32, height: u32, duration: f64) -> Option<StoryboardLayout> {
    if duration.is_nan() || duration < MIN_STORYBOARD_SECONDS || width == 0 || height == 0 {
        return None;
    }
    let ratio = width as f64 / height as f64;
    let (sprite_width, sprite_height) = if width >= height {
        (SPRITE_LONG_EDGE, (SPRITE_LONG_EDGE as f64 / ratio).round() as u32)
    } else {
        ((SPRITE_LONG_EDGE as f64 * ratio).round() as u32, SPRITE_LONG_EDGE)
    };
    let max_sprites = (duration.ceil() as u32).min(MAX_GRID_EDGE * MAX_GRID_EDGE);
    let sprite_duration = (duration / max_sprites as f64).ceil() as u32;
    let total_sprites = (duration / sprite_duration as f64).ceil() as u32;
    let (columns, rows) = grid_for(total_sprites)?;
    Some(StoryboardLayout {
        sprite_width: sprite_width.max(1),
        sprite_height: sprite_height.max(1),
        sprite_duration,
        total_sprites,
        columns,
        rows,
    })
}

/// The fewest rows, then the fewest columns (at least as many as rows), that hold `total`.
fn grid_for(total: u32) -> Option<(u32, u32)> {
    (1..=MAX_GRID_EDGE)
        .flat_map(|rows| (rows..=MAX_GRID_EDGE).map(move |columns| (columns, rows)))
        .find(|&(columns, rows)| columns * rows >= total)
}

/// One ffmpeg writing both the thumbnail and the preview from a frame near the middle.
pub fn poster_images_command(
    ffmpeg: &str,
    input: &Path,
    duration: Option<f64>,
    fps: f64,
    thumbnail: &Path,
    preview: &Path,
) -> FfmpegCommand {
    // Centre the analysed frames on the middle of the video.
    let window = FRAMES_TO_ANALYZE as f64 / fps.max(1.0);
    let start = duration.map_or(0.0, |d| (d / 2.0 - window / 2.0).max(0.0));
    let mut args = base_args();
    args.extend(["-ss".into(), format!("{start:.3}"), "-i".into(), path_arg(input)]);
    let graph = format!(
        "[0:v:0]thumbnail={FRAMES_TO_ANALYZE},split=2[a][b];[a]{}[thumb];[b]{}[preview]",
        cover(THUMBNAIL_SIZE),
        cover(PREVIEW_SIZE)
    );
    args.extend(["-filter_complex".into(), graph]);
    args.extend(image_output("[thumb]", thumbnail));
    args.extend(image_output("[preview]", preview));
    FfmpegCommand { program: ffmpeg.into(), args }
}

/// For audio-only inputs: the waveform drawn at preview size, and its thumbnail.
pub fn waveform_images_command(
    ffmpeg: &str,
    input: &Path,
    thumbnail: &Path,
    preview: &Path,
) -> FfmpegCommand {
    let (w, h) = PREVIEW_SIZE;
    let mut args = base_args();
    args.extend(["-i".into(), path_arg(input)]);
    // showwavespic draws on transparency, which JPEG would turn black; paint it on a dark grey.
    let graph = format!(
        "[0:a:0]showwavespic=s={w}x{h}:colors=white[wave];color=c=0x202020:s={w}x{h}[bg];\
         [bg][wave]overlay=format=auto,split=2[a][preview];[a]{}[thumb]",
        cover(THUMBNAIL_SIZE)
    );
    args.extend(["-filter_complex".into(), graph]);
    args.extend(image_output("[thumb]", thumbnail));
    args.extend(image_output("[preview]", preview));
    FfmpegCommand { program: ffmpeg.into(), args }
}

/// The storyboard sprite sheet: one frame every `sprite_duration` seconds, tiled.
pub fn storyboard_command(
    ffmpeg: &str,
    input: &Path,
    layout: &StoryboardLayout,
    output: &Path,
) -> FfmpegCommand {
    let mut args = base_args();
    args.extend(["-i".into(), path_arg(input)]);
    let filter = format!(
        "setpts='N/FRAME_RATE/TB',select='isnan(prev_selected_t)+gte(t-prev_selected_t,{})',scale={}:{},tile=layout={}x{}",
        layout.sprite_duration, layout.sprite_width, layout.sprite_height, layout.columns, layout.rows
    );
    args.extend(["-map".into(), "0:v:0".into(), "-filter:v".into(), filter]);
    args.extend(["-frames:v", "1", "-q:v", "2", "-update", "1"].map(String::from));
    args.push(path_arg(output));
    FfmpegCommand { program: ffmpeg.into(), args }
}

fn base_args() -> Vec<String> {
    ["-hide_banner", "-nostdin", "-y", "-v", "error"].map(String::from).into()
}

fn cover((w, h): (u32, u32)) -> String {
    // exact=1: crop otherwise rounds to the chroma grid, and 157 would become 156.
    format!("scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}:exact=1")
}

fn image_output(label: &str, path: &Path) -> Vec<String> {
    ["-map", label, "-frames:v", "1", "-q:v", "2", "-update", "1"]
        .map(String::from)
        .into_iter()
        .chain([path_arg(path)])
        .collect()
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(width: u32, height: u32, duration: f64, expect: Option<(u32, u32, u32, u32, u32, u32)>) {
        let actual = storyboard_layout(width, height, duration).map(|l| {
            (l.sprite_width, l.sprite_height, l.sprite_duration, l.total_sprites, l.columns, l.rows)
        });
        assert_eq!(actual, expect, "{width}x{height} {duration}s");
    }

    #[test]
    fn storyboard_layouts() {
        // (sprite w, sprite h, seconds per sprite, sprites, columns, rows)
        check(1280, 720, 5.312, Some((192, 108, 1, 6, 6, 1)));
        check(1280, 720, 2.9, None);
        check(1080, 1920, 12.0, Some((108, 192, 1, 12, 6, 2)));
        check(1088, 1088, 10.0, Some((192, 192, 1, 10, 10, 1)));
        check(10, 8, 124.0, Some((192, 154, 2, 62, 11, 6)));
        check(1920, 1080, 3600.0, Some((192, 108, 30, 120, 11, 11)));
        check(640, 272, 10.0, Some((192, 82, 1, 10, 10, 1)));
    }

    #[test]
    fn grid_prefers_few_rows() {
        assert_eq!(grid_for(1), Some((1, 1)));
        assert_eq!(grid_for(11), Some((11, 1)));
        assert_eq!(grid_for(12), Some((6, 2)));
        assert_eq!(grid_for(121), Some((11, 11)));
        assert_eq!(grid_for(122), None);
    }

    #[test]
    fn storyboard_command_tiles_one_frame_per_interval() {
        let layout = storyboard_layout(1280, 720, 5.312).expect("layout");
        let line =
            storyboard_command("ffmpeg", Path::new("in.mp4"), &layout, Path::new("sb.jpg")).args.join(" ");
        assert!(line.contains(
            "setpts='N/FRAME_RATE/TB',select='isnan(prev_selected_t)+gte(t-prev_selected_t,1)',scale=192:108,tile=layout=6x1"
        ), "{line}");
        assert!(line.ends_with("-frames:v 1 -q:v 2 -update 1 sb.jpg"));
    }

    #[test]
    fn posters_are_taken_around_the_middle() {
        let line = poster_images_command(
            "ffmpeg",
            Path::new("in.mp4"),
            Some(10.0),
            25.0,
            Path::new("t.jpg"),
            Path::new("p.jpg"),
        )
        .args
        .join(" ");
        assert!(line.contains("-ss 4.000 -i in.mp4"), "{line}");
        assert!(line.contains("scale=280:157:force_original_aspect_ratio=increase,crop=280:157:exact=1"));
        assert!(line.contains("scale=850:480:force_original_aspect_ratio=increase,crop=850:480:exact=1"));
    }
}
