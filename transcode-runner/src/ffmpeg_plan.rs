//! Turns a [`TranscodePlan`] into ffmpeg command lines, and reads ffmpeg's progress reports.
//!
//! [`single_decode_command`] is what the runner executes: the input is decoded once and a
//! `split` feeds one scaler and one libx264 encoder per rendition, so decoding (often the most
//! expensive step for 1080p+ inputs) is not repeated per rendition as in PeerTube's job graph.
//! [`per_resolution_commands`] builds that job graph (one ffmpeg per rendition, same encoder
//! flags) so the two can be benchmarked against each other.

use std::path::{Path, PathBuf};

use crate::ladder::{AudioPlan, Rendition, TranscodePlan, VideoSource};

/// A program and its arguments, kept as data so tests can read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfmpegCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl FfmpegCommand {
    /// The command as a shell would show it; for logs only, arguments are not escaped.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The input of a job and where its files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPaths {
    pub ffmpeg: String,
    pub input: PathBuf,
    pub output_dir: PathBuf,
    /// For [`VideoSource::StillImage`] plans: the image the video is made of.
    pub still_image: Option<PathBuf>,
    /// `-threads` per output (encoder threads), as PeerTube's `transcoding.threads`; `None` lets
    /// ffmpeg decide.
    pub threads: Option<u32>,
}

/// The files of one rendition: `<stem>-<res>.m3u8` and `<stem>-<res>-fragmented.mp4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionFiles {
    pub playlist: String,
    pub fragmented_mp4: String,
}

impl RenditionFiles {
    /// PeerTube gives each rendition a fresh UUID as `stem`, shared by its playlist and file.
    pub fn new(stem: &str, resolution: u32) -> Self {
        RenditionFiles {
            playlist: format!("{stem}-{resolution}.m3u8"),
            fragmented_mp4: format!("{stem}-{resolution}-fragmented.mp4"),
        }
    }
}

/// One ffmpeg decoding the input once and writing every rendition. `files[i]` names rendition `i`.
pub fn single_decode_command(
    plan: &TranscodePlan,
    paths: &JobPaths,
    files: &[RenditionFiles],
) -> FfmpegCommand {
    let mut args = common_args();
    args.extend(input_args(plan, paths));
    let count = plan.renditions.len();
    let mut graph = format!("[0:v:0]split={count}");
    for i in 0..count {
        graph += &format!("[s{i}]");
    }
    for (i, rendition) in plan.renditions.iter().enumerate() {
        graph += &format!(";[s{i}]{}[v{i}]", video_filter(plan, rendition));
    }
    args.extend(["-filter_complex".into(), graph]);
    for (i, (rendition, files)) in plan.renditions.iter().zip(files).enumerate() {
        args.extend(["-map".into(), format!("[v{i}]")]);
        args.extend(rendition_output_args(plan, rendition, paths, files));
    }
    FfmpegCommand { program: paths.ffmpeg.clone(), args }
}

/// PeerTube's job graph: one ffmpeg per rendition, to run in order.
///
/// The largest rendition is encoded from the input; every lower one from that rendition's file, as
/// PeerTube's lower-resolution HLS jobs read `video.getMaxQualityFile()` (the optimized original,
/// not the upload). So each command decodes a full-size video again, and lower renditions are a
/// second-generation encode. PeerTube's separate `-c copy` remux of the optimized MP4 into HLS is
/// not reproduced: the largest rendition is written to HLS directly.
pub fn per_resolution_commands(
    plan: &TranscodePlan,
    paths: &JobPaths,
    files: &[RenditionFiles],
) -> Vec<FfmpegCommand> {
    plan.renditions
        .iter()
        .zip(files)
        .enumerate()
        .map(|(i, (rendition, rendition_files))| {
            let mut args = common_args();
            match (plan.source, files.first()) {
                (VideoSource::Input, Some(largest)) if i > 0 => {
                    args.extend(["-i".into(), path_arg(&paths.output_dir.join(&largest.fragmented_mp4))]);
                }
                _ => args.extend(input_args(plan, paths)),
            }
            args.extend(["-filter_complex".into(), format!("[0:v:0]{}[v0]", video_filter(plan, rendition))]);
            args.extend(["-map".into(), "[v0]".into()]);
            args.extend(rendition_output_args(plan, rendition, paths, rendition_files));
            FfmpegCommand { program: paths.ffmpeg.clone(), args }
        })
        .collect()
}

fn common_args() -> Vec<String> {
    // -nostdin: ffmpeg must never read the runner's terminal; -progress pipe:1 replaces -stats.
    ["-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"]
        .map(String::from)
        .into()
}

fn input_args(plan: &TranscodePlan, paths: &JobPaths) -> Vec<String> {
    let mut args = Vec::new();
    if plan.source == VideoSource::StillImage {
        let image = paths.still_image.as_deref().unwrap_or(Path::new("preview.jpg"));
        let fps = plan.renditions.first().map_or(25, |r| r.fps);
        args.extend(["-loop".into(), "1".into(), "-framerate".into(), fps.to_string()]);
        // Bound the looped image by the audio length; -shortest alone can overshoot by a segment.
        if let Some(duration) = plan.duration {
            args.extend(["-t".into(), format!("{duration:.3}")]);
        }
        args.extend(["-i".into(), path_arg(image)]);
    }
    args.extend(["-i".into(), path_arg(&paths.input)]);
    args
}

/// The input whose audio is mapped: the second input when the first is the still image.
fn audio_input(plan: &TranscodePlan) -> usize {
    match plan.source {
        VideoSource::Input => 0,
        VideoSource::StillImage => 1,
    }
}

fn video_filter(plan: &TranscodePlan, rendition: &Rendition) -> String {
    let mut filter = rendition.scale.filter();
    // Lower renditions of high-fps inputs drop frames in the graph, before the encoder sees them.
    if rendition.fps != plan.input_fps {
        filter += &format!(",fps=fps={}", rendition.fps);
    }
    filter
}

fn rendition_output_args(
    plan: &TranscodePlan,
    rendition: &Rendition,
    paths: &JobPaths,
    files: &RenditionFiles,
) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    if plan.audio != AudioPlan::None {
        args.extend(["-map".into(), format!("{}:a:0", audio_input(plan))]);
    }
    // An output option, as in PeerTube: it sets this output's encoder threads. Before `-i` it would
    // only set the decoder's and leave every libx264 encoder on its automatic thread count.
    if let Some(threads) = paths.threads {
        args.extend(["-threads".into(), threads.to_string()]);
    }
    let t = rendition.bitrate;
    args.extend(
        [
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-maxrate:v",
            &t.to_string(),
            "-bufsize:v",
            &(2 * t).to_string(),
            "-b_strategy",
            "1",
            "-bf",
            "16",
            "-r",
            &rendition.fps.to_string(),
            "-g:v",
            &rendition.gop.to_string(),
            "-pix_fmt",
            "yuv420p",
        ]
        .map(String::from),
    );
    if plan.source == VideoSource::StillImage {
        args.extend(["-tune", "stillimage", "-shortest"].map(String::from));
    }
    match plan.audio {
        AudioPlan::None => {}
        AudioPlan::Copy => args.extend(["-c:a", "copy"].map(String::from)),
        AudioPlan::Encode { bitrate } => args.extend(
            ["-c:a", "aac", "-channel_layout", "stereo", "-b:a", &format!("{}k", bitrate / 1000)]
                .map(String::from),
        ),
    }
    args.extend(["-map_metadata", "-1", "-max_muxing_queue_size", "1024"].map(String::from));
    args.extend(
        [
            "-f",
            "hls",
            "-hls_time",
            "4",
            "-hls_list_size",
            "0",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "fmp4",
            "-hls_flags",
            "single_file",
            "-hls_segment_filename",
        ]
        .map(String::from),
    );
    args.push(path_arg(&paths.output_dir.join(&files.fragmented_mp4)));
    args.push(path_arg(&paths.output_dir.join(&files.playlist)));
    args
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// One line of ffmpeg's `-progress` report that the runner cares about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProgressLine {
    /// Output written up to this timestamp, in microseconds.
    OutTime(u64),
    /// `progress=end`: ffmpeg has finished writing.
    End,
}

/// Parses a `key=value` line of `-progress`; other keys and `N/A` values give `None`.
pub fn parse_progress_line(line: &str) -> Option<ProgressLine> {
    let (key, value) = line.trim().split_once('=')?;
    match key {
        "out_time_us" => {
            value.parse::<i64>().ok().filter(|&us| us >= 0).map(|us| ProgressLine::OutTime(us as u64))
        }
        "progress" if value == "end" => Some(ProgressLine::End),
        _ => None,
    }
}

/// The share of the input written so far, in `0.0..=1.0`.
pub fn progress_fraction(out_time_us: u64, duration: f64) -> f64 {
    if duration <= 0.0 {
        return 0.0;
    }
    (out_time_us as f64 / 1e6 / duration).clamp(0.0, 1.0)
}

/// ffmpeg may write the segment file's full path into `#EXT-X-MAP`; PeerTube rewrites it to the
/// bare name so that playlists resolve wherever the files are served from.
pub fn bare_map_uri(playlist: &str) -> String {
    let mut out = String::with_capacity(playlist.len());
    for line in playlist.split_inclusive('\n') {
        match line.strip_prefix("#EXT-X-MAP:URI=\"").and_then(|rest| rest.split_once('"')) {
            Some((uri, rest)) => {
                let name = uri.rsplit(['/', '\\']).next().unwrap_or(uri);
                out += &format!("#EXT-X-MAP:URI=\"{name}\"{rest}");
            }
            None => out += line,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::{Rendition, Scale};

    fn rendition(resolution: u32, width: u32, fps: u32, is_original: bool) -> Rendition {
        Rendition {
            resolution,
            width,
            height: resolution,
            scale: Scale::Height(resolution),
            fps,
            gop: fps * 2,
            bitrate: 1_000_000,
            is_original,
        }
    }

    fn paths() -> JobPaths {
        JobPaths {
            ffmpeg: "ffmpeg".into(),
            input: "in.mp4".into(),
            output_dir: "out".into(),
            still_image: Some("out/preview.jpg".into()),
            threads: None,
        }
    }

    fn video_plan() -> TranscodePlan {
        TranscodePlan {
            source: VideoSource::Input,
            renditions: vec![rendition(720, 1280, 60, true), rendition(480, 854, 30, false)],
            audio: AudioPlan::Copy,
            duration: Some(5.0),
            input_fps: 60,
        }
    }

    fn files() -> Vec<RenditionFiles> {
        vec![RenditionFiles::new("a", 720), RenditionFiles::new("b", 480)]
    }

    #[test]
    fn single_decode_splits_once_and_writes_one_hls_output_per_rendition() {
        let command = single_decode_command(&video_plan(), &paths(), &files());
        let line = command.display();
        assert_eq!(line.matches(" -i ").count(), 1, "{line}");
        assert!(line.contains(
            "-filter_complex [0:v:0]split=2[s0][s1];[s0]scale=w=-2:h=720[v0];[s1]scale=w=-2:h=480,fps=fps=30[v1]"
        ));
        assert!(line.contains(
            "-map [v0] -map 0:a:0 -c:v libx264 -preset veryfast -maxrate:v 1000000 -bufsize:v 2000000 \
             -b_strategy 1 -bf 16 -r 60 -g:v 120 -pix_fmt yuv420p -c:a copy -map_metadata -1 \
             -max_muxing_queue_size 1024 -f hls -hls_time 4 -hls_list_size 0 -hls_playlist_type vod \
             -hls_segment_type fmp4 -hls_flags single_file -hls_segment_filename out/a-720-fragmented.mp4 out/a-720.m3u8"
        ), "{line}");
        assert!(line.contains("-r 30 -g:v 60"));
        assert!(line.ends_with("out/b-480-fragmented.mp4 out/b-480.m3u8"));
        assert!(line.contains("-progress pipe:1"));
    }

    #[test]
    fn threads_set_each_encoder_not_the_decoder() {
        let mut paths = paths();
        paths.threads = Some(2);
        let line = single_decode_command(&video_plan(), &paths, &files()).display();
        let (before_input, outputs) = line.split_once(" -i in.mp4 ").expect("one input");
        assert!(!before_input.contains("-threads"), "{line}");
        assert_eq!(outputs.matches("-threads 2 -c:v libx264").count(), 2, "{line}");
        for command in per_resolution_commands(&video_plan(), &paths, &files()) {
            let line = command.display();
            let (before_input, output) = line.split_once(" -i ").expect("one input");
            assert!(!before_input.contains("-threads"), "{line}");
            assert_eq!(output.matches("-threads 2 -c:v libx264").count(), 1, "{line}");
        }
    }

    #[test]
    fn baseline_is_one_command_per_rendition() {
        let commands = per_resolution_commands(&video_plan(), &paths(), &files());
        assert_eq!(commands.len(), 2);
        assert!(commands[1].display().contains("[0:v:0]scale=w=-2:h=480,fps=fps=30[v0]"));
        assert!(commands.iter().all(|c| c.display().matches(" -i ").count() == 1));
    }

    #[test]
    fn baseline_lower_renditions_decode_the_largest_like_peertube() {
        let mut plan = video_plan();
        plan.renditions.push(rendition(240, 426, 30, false));
        let mut files = files();
        files.push(RenditionFiles::new("c", 240));
        let commands = per_resolution_commands(&plan, &paths(), &files);
        let lines: Vec<String> = commands.iter().map(FfmpegCommand::display).collect();
        assert!(lines[0].contains(" -i in.mp4 "), "{}", lines[0]);
        for line in &lines[1..] {
            assert!(line.contains(" -i out/a-720-fragmented.mp4 -filter_complex "), "{line}");
            assert!(!line.contains("in.mp4"), "{line}");
        }
        assert!(lines[2].ends_with("out/c-240-fragmented.mp4 out/c-240.m3u8"), "{}", lines[2]);
    }

    #[test]
    fn still_image_loops_the_preview_and_maps_audio_from_the_second_input() {
        let plan = TranscodePlan {
            source: VideoSource::StillImage,
            renditions: vec![rendition(480, 850, 25, false)],
            audio: AudioPlan::Encode { bitrate: 128_000 },
            duration: Some(6.104),
            input_fps: 25,
        };
        let line = single_decode_command(&plan, &paths(), &[RenditionFiles::new("s", 480)]).display();
        assert!(line.contains("-loop 1 -framerate 25 -t 6.104 -i out/preview.jpg -i in.mp4"), "{line}");
        assert!(line.contains("[s0]scale=w=-2:h=480[v0]"), "{line}");
        assert!(line.contains("-map 1:a:0"));
        assert!(line.contains("-tune stillimage -shortest -c:a aac -channel_layout stereo -b:a 128k"));
    }

    #[test]
    fn no_audio_maps_no_audio() {
        let mut plan = video_plan();
        plan.audio = AudioPlan::None;
        let line = single_decode_command(&plan, &paths(), &files()).display();
        assert!(!line.contains(":a:0") && !line.contains("-c:a"), "{line}");
    }

    #[test]
    fn progress_lines() {
        assert_eq!(parse_progress_line("out_time_us=2500000"), Some(ProgressLine::OutTime(2_500_000)));
        assert_eq!(parse_progress_line("out_time_us=N/A"), None);
        assert_eq!(parse_progress_line("out_time_us=-5000"), None);
        assert_eq!(parse_progress_line("progress=continue"), None);
        assert_eq!(parse_progress_line("progress=end\n"), Some(ProgressLine::End));
        assert_eq!(parse_progress_line("frame=12"), None);
        assert_eq!(progress_fraction(2_500_000, 5.0), 0.5);
        assert_eq!(progress_fraction(9_000_000, 5.0), 1.0);
        assert_eq!(progress_fraction(1, 0.0), 0.0);
    }

    #[test]
    fn map_uri_is_made_bare() {
        let playlist = "#EXTM3U\n#EXT-X-MAP:URI=\"/tmp/x/a-720-fragmented.mp4\",BYTERANGE=\"1373@0\"\nа-720-fragmented.mp4\n";
        assert_eq!(
            bare_map_uri(playlist),
            "#EXTM3U\n#EXT-X-MAP:URI=\"a-720-fragmented.mp4\",BYTERANGE=\"1373@0\"\nа-720-fragmented.mp4\n"
        );
        let bare = "#EXT-X-MAP:URI=\"a.mp4\",BYTERANGE=\"1@0\"\n";
        assert_eq!(bare_map_uri(bare), bare);
    }
}
