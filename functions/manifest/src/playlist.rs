//! HLS playlists in PeerTube's text format: rendition playlists, master playlists, and the
//! private-video token rewrite.
//!
//! - [`MediaPlaylist`] is a rendition playlist; [`MediaPlaylist::from_layout`] builds the one
//!   ffmpeg writes for a fragmented MP4 (after PeerTube's rewrite of the `#EXT-X-MAP` URI to the
//!   bare file name), `Display` renders it, [`MediaPlaylist::parse`] reads one back.
//! - [`master_playlist`] renders PeerTube's master from [`MasterRendition`]s;
//!   [`MasterPlaylist::parse`] reads one back.
//! - [`rewrite_uris`] maps every URI of either kind of playlist and leaves every other byte as it
//!   was; [`inject_video_file_token`] uses it for PeerTube's `?videoFileToken=` rewrite.

use std::fmt;

use crate::fmp4::{ByteRange, Fmp4Layout};
use crate::Error;
use edgetube_ports::encoding::percent_encode;

/// `#EXT-X-MAP`: the init section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSection {
    /// The file holding the init section.
    pub uri: String,
    /// Its bytes, if not the whole resource.
    pub byte_range: Option<ByteRange>,
}

/// One `#EXTINF` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSegment {
    /// Seconds, written with six decimals.
    pub duration: f64,
    /// `#EXT-X-BYTERANGE`, if any (always present in PeerTube's single-file playlists).
    pub byte_range: Option<ByteRange>,
    /// The URI line.
    pub uri: String,
}

/// A rendition (media) playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlaylist {
    /// `#EXT-X-VERSION` (7 for ffmpeg's fMP4 output).
    pub version: u32,
    /// `#EXT-X-TARGETDURATION`.
    pub target_duration: u64,
    /// `#EXT-X-MEDIA-SEQUENCE`.
    pub media_sequence: u64,
    /// `#EXT-X-PLAYLIST-TYPE` (`VOD`), if present.
    pub playlist_type: Option<String>,
    /// `#EXT-X-MAP`, if present.
    pub map: Option<MapSection>,
    /// The segments in order.
    pub segments: Vec<MediaSegment>,
    /// Whether `#EXT-X-ENDLIST` is present.
    pub end_list: bool,
}

/// `#EXT-X-TARGETDURATION` as ffmpeg computes it, and so as PeerTube writes it: the largest
/// segment duration rounded to the nearest integer (ties to even, C's `lrint`). This is what
/// RFC 8216 §4.3.3.1 requires ("when rounded to the nearest integer, ≤ the target duration"),
/// and it differs from a ceiling for segments such as 4.004 s (29.97 fps, 2 s GOPs): ffmpeg
/// writes 4, a ceiling would write 5.
pub fn target_duration(durations: impl IntoIterator<Item = f64>) -> u64 {
    durations.into_iter().map(|d| d.round_ties_even().max(0.0) as u64).max().unwrap_or(0)
}

impl MediaPlaylist {
    /// The playlist PeerTube stores beside a fragmented MP4 named `file_name`: version 7,
    /// `VOD`, the init section as `#EXT-X-MAP`, one byte range per segment.
    pub fn from_layout(file_name: &str, layout: &Fmp4Layout) -> MediaPlaylist {
        let segments: Vec<MediaSegment> = layout
            .segments
            .iter()
            .map(|s| MediaSegment {
                duration: s.duration_secs(),
                byte_range: Some(s.range),
                uri: file_name.to_owned(),
            })
            .collect();
        MediaPlaylist {
            version: 7,
            target_duration: target_duration(segments.iter().map(|s| s.duration)),
            media_sequence: 0,
            playlist_type: Some("VOD".to_owned()),
            map: Some(MapSection { uri: file_name.to_owned(), byte_range: Some(layout.init) }),
            segments,
            end_list: true,
        }
    }

    /// Reads a rendition playlist. Unknown tags and comments are ignored; a `#EXT-X-BYTERANGE`
    /// without an offset continues the previous segment of the same URI.
    pub fn parse(text: &str) -> Result<MediaPlaylist, Error> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        expect_header(&mut lines)?;
        let mut playlist = MediaPlaylist {
            version: 1,
            target_duration: 0,
            media_sequence: 0,
            playlist_type: None,
            map: None,
            segments: Vec::new(),
            end_list: false,
        };
        let mut target = None;
        let mut pending: Option<(f64, Option<ByteRange>)> = None;
        for (n, line) in lines {
            let bad = |reason: &str| Error::InvalidPlaylist { line: n, reason: reason.to_owned() };
            if line.trim().is_empty() {
                continue;
            }
            let Some(tag) = line.strip_prefix('#') else {
                let (duration, byte_range) = pending.take().ok_or_else(|| bad("URI without #EXTINF"))?;
                playlist.segments.push(MediaSegment { duration, byte_range, uri: line.to_owned() });
                continue;
            };
            let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
            match name {
                "EXT-X-VERSION" => playlist.version = value.parse().map_err(|_| bad("bad version"))?,
                "EXT-X-TARGETDURATION" => {
                    target = Some(value.parse().map_err(|_| bad("bad target duration"))?);
                }
                "EXT-X-MEDIA-SEQUENCE" => {
                    playlist.media_sequence = value.parse().map_err(|_| bad("bad media sequence"))?;
                }
                "EXT-X-PLAYLIST-TYPE" => playlist.playlist_type = Some(value.to_owned()),
                "EXT-X-ENDLIST" => playlist.end_list = true,
                "EXT-X-MAP" => {
                    let attrs = parse_attributes(value).map_err(|r| bad(&r))?;
                    let uri = attribute(&attrs, "URI").ok_or_else(|| bad("#EXT-X-MAP without URI"))?;
                    let byte_range = match attribute(&attrs, "BYTERANGE") {
                        Some(r) => Some(parse_byte_range(r, Some(0)).ok_or_else(|| bad("bad BYTERANGE"))?),
                        None => None,
                    };
                    playlist.map = Some(MapSection { uri: uri.to_owned(), byte_range });
                }
                "EXTINF" => {
                    let seconds = value.split_once(',').map_or(value, |(d, _)| d);
                    let duration: f64 = seconds.trim().parse().map_err(|_| bad("bad #EXTINF duration"))?;
                    pending = Some((duration, None));
                }
                "EXT-X-BYTERANGE" => {
                    let entry = pending.as_mut().ok_or_else(|| bad("#EXT-X-BYTERANGE before #EXTINF"))?;
                    let previous_end = playlist.segments.last().and_then(|s| s.byte_range).map(|r| r.end());
                    entry.1 =
                        Some(parse_byte_range(value, previous_end).ok_or_else(|| bad("bad byte range"))?);
                }
                _ => {}
            }
        }
        if pending.is_some() {
            return Err(Error::InvalidPlaylist {
                line: text.lines().count(),
                reason: "#EXTINF without URI".into(),
            });
        }
        playlist.target_duration = target.ok_or(Error::InvalidPlaylist {
            line: text.lines().count(),
            reason: "no #EXT-X-TARGETDURATION".into(),
        })?;
        Ok(playlist)
    }
}

/// The exact text ffmpeg and PeerTube write, with a trailing newline.
impl fmt::Display for MediaPlaylist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "#EXTM3U")?;
        writeln!(f, "#EXT-X-VERSION:{}", self.version)?;
        writeln!(f, "#EXT-X-TARGETDURATION:{}", self.target_duration)?;
        writeln!(f, "#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence)?;
        if let Some(t) = &self.playlist_type {
            writeln!(f, "#EXT-X-PLAYLIST-TYPE:{t}")?;
        }
        if let Some(map) = &self.map {
            write!(f, "#EXT-X-MAP:URI=\"{}\"", map.uri)?;
            if let Some(r) = map.byte_range {
                write!(f, ",BYTERANGE=\"{r}\"")?;
            }
            writeln!(f)?;
        }
        for s in &self.segments {
            writeln!(f, "#EXTINF:{:.6},", s.duration)?;
            if let Some(r) = s.byte_range {
                writeln!(f, "#EXT-X-BYTERANGE:{r}")?;
            }
            writeln!(f, "{}", s.uri)?;
        }
        if self.end_list {
            writeln!(f, "#EXT-X-ENDLIST")?;
        }
        Ok(())
    }
}

/// One rendition of a master playlist, with what PeerTube knows of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterRendition {
    /// The rendition playlist's name, e.g. `<uuid>-720.m3u8`.
    pub uri: String,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second as PeerTube stores it (an integer).
    pub fps: u32,
    /// Size of the rendition's fragmented MP4 in bytes.
    pub size: u64,
    /// The `CODECS` value, e.g. from [`crate::Codecs::hls_value`]: `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
}

impl MasterRendition {
    /// PeerTube's "resolution": the short side.
    pub fn resolution(&self) -> u32 {
        self.width.min(self.height)
    }
}

/// `BANDWIDTH` as PeerTube computes it: `ceil(size × 8 / duration)`, or the size itself when the
/// duration is 0. `video_duration_secs` is the video's duration as PeerTube stores it: whole
/// seconds, the probed duration rounded (5.28 s is 5).
pub fn bandwidth(size: u64, video_duration_secs: u64) -> u64 {
    if video_duration_secs == 0 {
        return size;
    }
    (size * 8).div_ceil(video_duration_secs)
}

/// PeerTube's master playlist: `#EXTM3U`, `#EXT-X-VERSION:3`, two blank lines, then one
/// `#EXT-X-STREAM-INF` and URI per rendition in ascending resolution, with a trailing newline.
/// See [`bandwidth`] for `video_duration_secs`.
pub fn master_playlist(renditions: &[MasterRendition], video_duration_secs: u64) -> String {
    let mut sorted: Vec<&MasterRendition> = renditions.iter().collect();
    sorted.sort_by_key(|r| r.resolution());
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:3\n\n\n");
    for r in sorted {
        out.push_str(&format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={}x{},FRAME-RATE={},CODECS=\"{}\"\n{}\n",
            bandwidth(r.size, video_duration_secs),
            r.width,
            r.height,
            r.fps,
            r.codecs,
            r.uri
        ));
    }
    out
}

/// One `#EXT-X-STREAM-INF` entry of a master playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Attributes in order, quotes removed.
    pub attributes: Vec<(String, String)>,
    /// The rendition playlist URI.
    pub uri: String,
}

impl Variant {
    /// An attribute's value, quotes removed.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        attribute(&self.attributes, name)
    }
}

/// A master playlist, read back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MasterPlaylist {
    /// `#EXT-X-VERSION`, if present.
    pub version: Option<u32>,
    /// `#EXT-X-MEDIA` attribute lists (split-audio groups).
    pub media: Vec<Vec<(String, String)>>,
    /// The renditions in order.
    pub variants: Vec<Variant>,
}

impl MasterPlaylist {
    /// Reads a master playlist; unknown tags and comments are ignored.
    pub fn parse(text: &str) -> Result<MasterPlaylist, Error> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        expect_header(&mut lines)?;
        let mut master = MasterPlaylist::default();
        let mut pending = None;
        for (n, line) in lines {
            let bad = |reason: &str| Error::InvalidPlaylist { line: n, reason: reason.to_owned() };
            if line.trim().is_empty() {
                continue;
            }
            let Some(tag) = line.strip_prefix('#') else {
                let attributes = pending.take().ok_or_else(|| bad("URI without #EXT-X-STREAM-INF"))?;
                master.variants.push(Variant { attributes, uri: line.to_owned() });
                continue;
            };
            let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
            match name {
                "EXT-X-VERSION" => master.version = Some(value.parse().map_err(|_| bad("bad version"))?),
                "EXT-X-STREAM-INF" => pending = Some(parse_attributes(value).map_err(|r| bad(&r))?),
                "EXT-X-MEDIA" => master.media.push(parse_attributes(value).map_err(|r| bad(&r))?),
                _ => {}
            }
        }
        if pending.is_some() {
            return Err(Error::InvalidPlaylist {
                line: text.lines().count(),
                reason: "#EXT-X-STREAM-INF without URI".into(),
            });
        }
        Ok(master)
    }
}

fn expect_header<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) -> Result<(), Error> {
    match lines.next() {
        Some((_, "#EXTM3U")) => Ok(()),
        other => Err(Error::InvalidPlaylist {
            line: other.map_or(1, |(n, _)| n),
            reason: "the first line is not #EXTM3U".into(),
        }),
    }
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `NAME=value,NAME="quoted, value"` into pairs, quotes removed.
fn parse_attributes(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = list;
    while !rest.is_empty() {
        let (name, after) =
            rest.split_once('=').ok_or_else(|| format!("attribute without `=` in `{rest}`"))?;
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let (value, after) = quoted.split_once('"').ok_or("unterminated quoted attribute")?;
            (value, after)
        } else {
            after.split_at(after.find(',').unwrap_or(after.len()))
        };
        out.push((name.trim().to_owned(), value.to_owned()));
        rest = match after.strip_prefix(',') {
            Some(r) => r,
            None if after.is_empty() => after,
            None => return Err(format!("unexpected `{after}` after attribute {name}")),
        };
    }
    Ok(out)
}

/// `<length>[@<offset>]`; without an offset, `default_offset` (none: invalid).
fn parse_byte_range(text: &str, default_offset: Option<u64>) -> Option<ByteRange> {
    let (length, offset) = match text.split_once('@') {
        Some((l, o)) => (l.parse().ok()?, o.parse().ok()?),
        None => (text.parse().ok()?, default_offset?),
    };
    Some(ByteRange::new(offset, length))
}

/// Which kind of playlist a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistKind {
    /// Lists rendition playlists (`#EXT-X-STREAM-INF`).
    Master,
    /// Lists media segments (`#EXTINF`).
    Media,
}

impl PlaylistKind {
    /// A master if any line is an `#EXT-X-STREAM-INF`, `#EXT-X-I-FRAME-STREAM-INF` or
    /// `#EXT-X-MEDIA` tag; a media playlist otherwise.
    pub fn detect(text: &str) -> PlaylistKind {
        let master = text.lines().any(|l| {
            ["#EXT-X-STREAM-INF:", "#EXT-X-I-FRAME-STREAM-INF:", "#EXT-X-MEDIA:"]
                .iter()
                .any(|t| l.starts_with(t))
        });
        if master {
            PlaylistKind::Master
        } else {
            PlaylistKind::Media
        }
    }
}

/// Maps every URI of a playlist through `f`: URI lines and `URI="…"` attributes of tags.
/// `f` returns `None` to keep a URI. Every other byte, line endings included, is kept.
pub fn rewrite_uris(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        if body.starts_with("#EXT") {
            let mut rest = body;
            while let Some(at) = rest.find("URI=\"") {
                let start = at + "URI=\"".len();
                out.push_str(&rest[..start]);
                rest = &rest[start..];
                let Some(end) = rest.find('"') else { break };
                let uri = &rest[..end];
                out.push_str(&f(uri).unwrap_or_else(|| uri.to_owned()));
                rest = &rest[end..];
            }
            out.push_str(rest);
        } else if body.starts_with('#') || body.trim().is_empty() {
            out.push_str(body);
        } else {
            out.push_str(&f(body).unwrap_or_else(|| body.to_owned()));
        }
        out.push_str(ending);
    }
    out
}

/// PeerTube's rewrite for private videos (`reinjectVideoFileToken=true`): every `.m3u8`, `.mp4`
/// and `.ts` reference gets `videoFileToken=<token>`, and in a master the `.m3u8` references also
/// get `reinjectVideoFileToken=true` so that the rendition playlists are rewritten in turn.
/// The token is percent-encoded; an existing query is extended with `&`.
pub fn inject_video_file_token(text: &str, token: &str, kind: PlaylistKind) -> String {
    let token = percent_encode(token, false);
    rewrite_uris(text, |uri| {
        let (before_fragment, fragment) = uri.split_at(uri.find('#').unwrap_or(uri.len()));
        let path = before_fragment.split('?').next().unwrap_or(before_fragment);
        let playlist = path.ends_with(".m3u8");
        if !(playlist || path.ends_with(".mp4") || path.ends_with(".ts")) {
            return None;
        }
        let separator = if before_fragment.contains('?') { '&' } else { '?' };
        let reinject =
            if playlist && kind == PlaylistKind::Master { "&reinjectVideoFileToken=true" } else { "" };
        Some(format!("{before_fragment}{separator}videoFileToken={token}{reinject}{fragment}"))
    })
}
