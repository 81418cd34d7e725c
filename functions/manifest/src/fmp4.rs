//! The top-level box layout of a fragmented MP4, as PeerTube's HLS files use it.
//!
//! [`parse`] splits a file into its init section (`ftyp`+`moov`) and its media [`Segment`]s
//! (`moof`+`mdat`, with whatever `styp`/`sidx` boxes precede the `moof`), and reads each
//! segment's duration from the `trun`s of the reference track (the first video track, else the
//! first track) in the track's `mdhd` timescale. [`boxes`] and [`BoxRef`] are the small box
//! reader underneath, shared with [`crate::codec`].

use std::fmt;

use crate::Error;

/// A four-character box or sample-entry type, such as `moov` or `avc1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// `ftyp`, the file type box.
    pub const FTYP: FourCc = FourCc(*b"ftyp");
    /// `moov`, the movie box (init section).
    pub const MOOV: FourCc = FourCc(*b"moov");
    /// `moof`, a movie fragment.
    pub const MOOF: FourCc = FourCc(*b"moof");
    /// `mdat`, media data.
    pub const MDAT: FourCc = FourCc(*b"mdat");
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc({self})")
    }
}

/// A contiguous run of bytes in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub offset: u64,
    /// Number of bytes.
    pub length: u64,
}

impl ByteRange {
    /// The range of `length` bytes from `offset`.
    pub const fn new(offset: u64, length: u64) -> Self {
        ByteRange { offset, length }
    }

    /// Offset just past the last byte.
    pub const fn end(&self) -> u64 {
        self.offset + self.length
    }

    /// Offset of the last byte (inclusive), as in `segments-sha256.json` keys.
    /// For an empty range this is `offset - 1` saturated at 0.
    pub const fn last_byte(&self) -> u64 {
        (self.offset + self.length).saturating_sub(1)
    }
}

/// HLS notation, `<length>@<offset>`.
impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.length, self.offset)
    }
}

/// One box inside a byte slice: its type, absolute offset, and payload (the bytes after the header).
#[derive(Debug, Clone, Copy)]
pub struct BoxRef<'a> {
    /// The box type.
    pub kind: FourCc,
    /// Absolute offset of the box's first header byte in the file.
    pub offset: u64,
    /// Header length: 8, 16 with a 64-bit size, 16 more for `uuid` boxes.
    pub header_len: u64,
    /// The bytes after the header.
    pub payload: &'a [u8],
}

impl<'a> BoxRef<'a> {
    /// The whole box, header included.
    pub fn range(&self) -> ByteRange {
        ByteRange::new(self.offset, self.header_len + self.payload.len() as u64)
    }

    /// The boxes contained in this box's payload (for container boxes such as `moov` or `traf`).
    pub fn children(&self) -> Boxes<'a> {
        Boxes { data: self.payload, pos: 0, base: self.offset + self.header_len, failed: false }
    }

    /// The boxes contained in the payload after its first `skip` bytes (sample entries, `stsd`).
    pub fn children_after(&self, skip: usize) -> Result<Boxes<'a>, Error> {
        let payload = self.payload.get(skip..).ok_or_else(|| self.truncated(0, skip as u64))?;
        Ok(Boxes { data: payload, pos: 0, base: self.offset + self.header_len + skip as u64, failed: false })
    }

    /// The first child of type `kind`, if any.
    pub fn child(&self, kind: &[u8; 4]) -> Result<Option<BoxRef<'a>>, Error> {
        find(self.children(), kind)
    }

    /// A reader over the payload's fields.
    pub(crate) fn fields(&self) -> Fields<'a> {
        Fields { data: self.payload, pos: 0, base: self.offset + self.header_len, kind: self.kind }
    }

    fn truncated(&self, at: u64, needed: u64) -> Error {
        Error::Truncated {
            what: format!("`{}` box", self.kind),
            offset: self.offset + self.header_len + at,
            needed,
            available: (self.payload.len() as u64).saturating_sub(at),
        }
    }
}

/// The first box of type `kind` among `boxes`.
pub(crate) fn find<'a>(boxes: Boxes<'a>, kind: &[u8; 4]) -> Result<Option<BoxRef<'a>>, Error> {
    for b in boxes {
        let b = b?;
        if &b.kind.0 == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// The top-level boxes of `data`, a whole file or a prefix of one.
pub fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes { data, pos: 0, base: 0, failed: false }
}

/// Iterator over consecutive boxes; stops after the first error.
#[derive(Debug, Clone)]
pub struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    failed: bool,
}

impl<'a> Boxes<'a> {
    fn next_box(&mut self) -> Result<BoxRef<'a>, Error> {
        let rest = &self.data[self.pos..];
        let offset = self.base + self.pos as u64;
        let remaining = rest.len() as u64;
        let header_err = |needed: u64| Error::Truncated {
            what: "box header".into(),
            offset,
            needed,
            available: remaining,
        };
        let (Some(size), Some(kind)) = (rest.get(0..4), rest.get(4..8)) else {
            return Err(header_err(8));
        };
        let size32 = u32::from_be_bytes([size[0], size[1], size[2], size[3]]);
        let kind = FourCc([kind[0], kind[1], kind[2], kind[3]]);
        let (mut header_len, size) = match size32 {
            0 => (8, remaining),
            1 => {
                let large = rest.get(8..16).ok_or_else(|| header_err(16))?;
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                (16, u64::from_be_bytes(b))
            }
            n => (8, u64::from(n)),
        };
        if kind.0 == *b"uuid" {
            header_len += 16;
            if remaining < header_len {
                return Err(header_err(header_len));
            }
        }
        if size < header_len {
            return Err(Error::BadBoxSize { kind, offset, size });
        }
        if size > remaining {
            return Err(Error::Truncated {
                what: format!("`{kind}` box"),
                offset,
                needed: size,
                available: remaining,
            });
        }
        // size <= remaining <= usize::MAX, so these conversions are lossless.
        let (header, size) = (header_len as usize, size as usize);
        let payload = &rest[header..size];
        self.pos += size;
        Ok(BoxRef { kind, offset, header_len, payload })
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<BoxRef<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let item = self.next_box();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Big-endian field reader over a box payload, with truncation errors naming the box.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    kind: FourCc,
}

impl<'a> Fields<'a> {
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let available = self.data.len() - self.pos;
        if n > available {
            return Err(Error::Truncated {
                what: format!("`{}` box", self.kind),
                offset: self.base + self.pos as u64,
                needed: n as u64,
                available: available as u64,
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Version byte and 24-bit flags of a full box.
    pub(crate) fn full_box(&mut self) -> Result<(u8, u32), Error> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }
}

/// A track declared in the `moov`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// `tkhd` track_ID.
    pub id: u32,
    /// `hdlr` handler type: `vide`, `soun`…
    pub handler: FourCc,
    /// `mdhd` timescale (ticks per second).
    pub timescale: u32,
    /// `trex` default sample duration, if the `mvex` declares one.
    pub default_sample_duration: Option<u32>,
}

/// One media segment: a `moof`+`mdat` pair with the boxes before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Bytes of the segment in the file.
    pub range: ByteRange,
    /// Sum of the reference track's sample durations in this fragment, in `timescale` ticks.
    pub duration_ticks: u64,
    /// The reference track's timescale.
    pub timescale: u32,
}

impl Segment {
    /// Duration in seconds, as written after `#EXTINF:`.
    pub fn duration_secs(&self) -> f64 {
        self.duration_ticks as f64 / f64::from(self.timescale)
    }
}

/// The layout of a fragmented MP4: init section, media segments, tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmp4Layout {
    /// `ftyp`+`moov` (and anything between them), from byte 0; `#EXT-X-MAP`'s byte range.
    pub init: ByteRange,
    /// Media segments in file order; contiguous, starting at `init.end()` and ending at the file's end.
    pub segments: Vec<Segment>,
    /// Tracks in `moov` order.
    pub tracks: Vec<Track>,
    /// The track whose durations time the segments: the first `vide` track, else the first track.
    pub reference_track: u32,
}

impl Fmp4Layout {
    /// The file length the layout covers.
    pub fn file_len(&self) -> u64 {
        self.segments.last().map_or(self.init.end(), |s| s.range.end())
    }

    /// The byte ranges of the media segments (the ones `segments-sha256.json` hashes).
    pub fn segment_ranges(&self) -> impl Iterator<Item = ByteRange> + '_ {
        self.segments.iter().map(|s| s.range)
    }
}

/// Reads the layout of a whole fragmented MP4.
///
/// The file must start with `ftyp` and have a `moov` before its first `moof`; every `moof`
/// must be followed by an `mdat` (other boxes may sit between them and are skipped). Boxes
/// after the last `mdat` (an `mfra`, say) are counted in the last segment, so that segments
/// always tile the file after the init section.
pub fn parse(bytes: &[u8]) -> Result<Fmp4Layout, Error> {
    let mut top = boxes(bytes);
    let first = top.next().unwrap_or_else(|| {
        Err(Error::Truncated { what: "box header".into(), offset: 0, needed: 8, available: 0 })
    })?;
    if first.kind != FourCc::FTYP {
        return Err(Error::UnexpectedBox { expected: "`ftyp`", found: first.kind, offset: first.offset });
    }
    let moov = loop {
        let b = top.next().ok_or(Error::MissingBox { path: "moov" })??;
        match b.kind {
            FourCc::MOOV => break b,
            FourCc::MOOF | FourCc::MDAT => {
                return Err(Error::UnexpectedBox {
                    expected: "`moov` before media",
                    found: b.kind,
                    offset: b.offset,
                })
            }
            _ => {}
        }
    };
    let tracks = parse_moov(&moov)?;
    let reference = tracks
        .iter()
        .find(|t| t.handler.0 == *b"vide")
        .or_else(|| tracks.first())
        .ok_or(Error::MissingBox { path: "moov/trak" })?;
    let init = ByteRange::new(0, moov.range().end());

    let mut segments = Vec::new();
    let mut start = init.end();
    let mut pending: Option<u64> = None;
    for b in top {
        let b = b?;
        match b.kind {
            FourCc::MOOF => {
                if pending.is_some() {
                    return Err(Error::UnexpectedBox {
                        expected: "`mdat` after `moof`",
                        found: b.kind,
                        offset: b.offset,
                    });
                }
                pending = Some(moof_duration(&b, &tracks, reference)?);
            }
            FourCc::MDAT => {
                let duration_ticks = pending.take().ok_or(Error::UnexpectedBox {
                    expected: "`moof` before `mdat`",
                    found: b.kind,
                    offset: b.offset,
                })?;
                let end = b.range().end();
                segments.push(Segment {
                    range: ByteRange::new(start, end - start),
                    duration_ticks,
                    timescale: reference.timescale,
                });
                start = end;
            }
            _ => {}
        }
    }
    if pending.is_some() {
        return Err(Error::MissingBox { path: "mdat" });
    }
    let last = segments.last_mut().ok_or(Error::NoSegments)?;
    let file_len = bytes.len() as u64;
    if last.range.end() < file_len {
        last.range.length = file_len - last.range.offset;
    }
    let reference_track = reference.id;
    Ok(Fmp4Layout { init, segments, tracks, reference_track })
}

fn parse_moov(moov: &BoxRef<'_>) -> Result<Vec<Track>, Error> {
    let mut tracks = Vec::new();
    let mut defaults = Vec::new();
    for b in moov.children() {
        let b = b?;
        match &b.kind.0 {
            b"trak" => tracks.push(parse_trak(&b)?),
            b"mvex" => {
                for trex in b.children() {
                    let trex = trex?;
                    if trex.kind.0 == *b"trex" {
                        let mut f = trex.fields();
                        f.full_box()?;
                        let track_id = f.u32()?;
                        f.skip(4)?; // default_sample_description_index
                        defaults.push((track_id, f.u32()?));
                    }
                }
            }
            _ => {}
        }
    }
    for (track_id, duration) in defaults {
        if let Some(t) = tracks.iter_mut().find(|t| t.id == track_id) {
            t.default_sample_duration = Some(duration);
        }
    }
    Ok(tracks)
}

fn parse_trak(trak: &BoxRef<'_>) -> Result<Track, Error> {
    let tkhd = trak.child(b"tkhd")?.ok_or(Error::MissingBox { path: "moov/trak/tkhd" })?;
    let mut f = tkhd.fields();
    let (version, _) = f.full_box()?;
    f.skip(if version == 1 { 16 } else { 8 })?; // creation and modification times
    let id = f.u32()?;

    let mdia = trak.child(b"mdia")?.ok_or(Error::MissingBox { path: "moov/trak/mdia" })?;
    let mdhd = mdia.child(b"mdhd")?.ok_or(Error::MissingBox { path: "moov/trak/mdia/mdhd" })?;
    let mut f = mdhd.fields();
    let (version, _) = f.full_box()?;
    f.skip(if version == 1 { 16 } else { 8 })?;
    let timescale = f.u32()?;
    if timescale == 0 {
        return Err(Error::UnknownTrack { track_id: id });
    }
    let hdlr = mdia.child(b"hdlr")?.ok_or(Error::MissingBox { path: "moov/trak/mdia/hdlr" })?;
    let mut f = hdlr.fields();
    f.full_box()?;
    f.skip(4)?; // pre_defined
    let h = f.bytes(4)?;
    let handler = FourCc([h[0], h[1], h[2], h[3]]);
    Ok(Track { id, handler, timescale, default_sample_duration: None })
}

/// Sum of the reference track's sample durations in one `moof`.
fn moof_duration(moof: &BoxRef<'_>, tracks: &[Track], reference: &Track) -> Result<u64, Error> {
    let mut total = 0u64;
    for traf in moof.children() {
        let traf = traf?;
        if traf.kind.0 != *b"traf" {
            continue;
        }
        let tfhd = traf.child(b"tfhd")?.ok_or(Error::MissingBox { path: "moof/traf/tfhd" })?;
        let mut f = tfhd.fields();
        let (_, flags) = f.full_box()?;
        let track_id = f.u32()?;
        let track = tracks.iter().find(|t| t.id == track_id).ok_or(Error::UnknownTrack { track_id })?;
        if track.id != reference.id {
            continue;
        }
        if flags & 0x01 != 0 {
            f.skip(8)?; // base_data_offset
        }
        if flags & 0x02 != 0 {
            f.skip(4)?; // sample_description_index
        }
        let default_duration = if flags & 0x08 != 0 { Some(f.u32()?) } else { track.default_sample_duration };
        for trun in traf.children() {
            let trun = trun?;
            if trun.kind.0 == *b"trun" {
                total = total.saturating_add(trun_duration(&trun, track_id, default_duration)?);
            }
        }
    }
    Ok(total)
}

fn trun_duration(trun: &BoxRef<'_>, track_id: u32, default_duration: Option<u32>) -> Result<u64, Error> {
    let mut f = trun.fields();
    let (_, flags) = f.full_box()?;
    let count = f.u32()?;
    if flags & 0x001 != 0 {
        f.skip(4)?; // data_offset
    }
    if flags & 0x004 != 0 {
        f.skip(4)?; // first_sample_flags
    }
    let per_sample = [0x100, 0x200, 0x400, 0x800].iter().filter(|&&bit| flags & bit != 0).count() * 4;
    let needed = u64::from(count) * per_sample as u64;
    if needed > f.remaining() as u64 {
        return Err(trun.truncated(trun.payload.len() as u64 - f.remaining() as u64, needed));
    }
    if flags & 0x100 == 0 {
        let d = default_duration.ok_or(Error::MissingSampleDuration { track_id })?;
        return Ok(u64::from(count) * u64::from(d));
    }
    let mut total = 0u64;
    for _ in 0..count {
        total += u64::from(f.u32()?);
        f.skip(per_sample - 4)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn bx64(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = 1u32.to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(&((payload.len() + 16) as u64).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn bx_to_end(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = 0u32.to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn words(flags: u32, values: &[u32]) -> Vec<u8> {
        std::iter::once(flags).chain(values.iter().copied()).flat_map(u32::to_be_bytes).collect()
    }

    fn trak(id: u32, handler: &[u8; 4], timescale: u32) -> Vec<u8> {
        let tkhd = bx(b"tkhd", &words(0, &[0, 0, id, 0, 0]));
        let mdhd = bx(b"mdhd", &words(0, &[0, 0, timescale, 0, 0]));
        let mut hdlr_payload = words(0, &[0]);
        hdlr_payload.extend_from_slice(handler);
        hdlr_payload.extend_from_slice(&[0; 13]);
        let mdia = bx(b"mdia", &[mdhd, bx(b"hdlr", &hdlr_payload)].concat());
        bx(b"trak", &[tkhd, mdia].concat())
    }

    /// ftyp + moov with an audio track 2 (48 kHz) and a video track 1 (12800), trex default 512 for video.
    fn init() -> Vec<u8> {
        let trex = bx(b"trex", &words(0, &[1, 1, 512, 0, 0]));
        let moov =
            bx(b"moov", &[trak(2, b"soun", 48000), trak(1, b"vide", 12800), bx(b"mvex", &trex)].concat());
        [bx(b"ftyp", b"iso5\0\0\x02\0iso6mp41"), moov].concat()
    }

    /// A moof whose video trun has per-sample durations, and an audio traf that must be ignored.
    fn moof_with_durations(durations: &[u32]) -> Vec<u8> {
        let mut trun = words(0x000101, &[durations.len() as u32, 0]);
        trun.extend(durations.iter().flat_map(|d| d.to_be_bytes()));
        let video = bx(b"traf", &[bx(b"tfhd", &words(0x020000, &[1])), bx(b"trun", &trun)].concat());
        let audio = bx(
            b"traf",
            &[bx(b"tfhd", &words(0x020008, &[2, 1024])), bx(b"trun", &words(0x000001, &[7, 0]))].concat(),
        );
        bx(b"moof", &[bx(b"mfhd", &words(0, &[1])), audio, video].concat())
    }

    /// A moof whose video trun has no durations: `tfhd` default if given, else the `trex` one.
    fn moof_with_defaults(count: u32, tfhd_default: Option<u32>) -> Vec<u8> {
        let tfhd = match tfhd_default {
            Some(d) => words(0x020008, &[1, d]),
            None => words(0x020000, &[1]),
        };
        // trun flags 0x201: a data offset and per-sample sizes, no durations.
        let trun = [words(0x000201, &[count, 0]), vec![0; count as usize * 4]].concat();
        let traf = bx(b"traf", &[bx(b"tfhd", &tfhd), bx(b"trun", &trun)].concat());
        bx(b"moof", &[bx(b"mfhd", &words(0, &[2])), traf].concat())
    }

    type Expect = Result<(ByteRange, Vec<(u64, u64, u64)>), Error>;

    fn check(input: &[u8], expect: Expect) {
        let got = parse(input).map(|l| {
            assert_eq!(l.reference_track, 1);
            assert_eq!(l.file_len(), input.len() as u64);
            (l.init, l.segments.iter().map(|s| (s.range.offset, s.range.length, s.duration_ticks)).collect())
        });
        assert_eq!(got, expect);
    }

    #[test]
    fn layouts() {
        let init = init();
        let i = init.len() as u64;
        let m1 = moof_with_durations(&[512, 512, 1024]);
        let mdat = bx(b"mdat", &[0xaa; 10]);
        let sidx = bx(b"sidx", &[0; 20]);
        let seg1 = [sidx.clone(), m1.clone(), mdat.clone()].concat();
        let s1 = seg1.len() as u64;

        // Per-sample durations; sidx boxes belong to the segment they precede.
        check(&[init.clone(), seg1.clone()].concat(), Ok((ByteRange::new(0, i), vec![(i, s1, 2048)])));

        // tfhd default, then trex default.
        let seg2 = [moof_with_defaults(3, Some(1000)), mdat.clone()].concat();
        let seg3 = [moof_with_defaults(4, None), mdat.clone()].concat();
        let (s2, s3) = (seg2.len() as u64, seg3.len() as u64);
        check(
            &[init.clone(), seg1.clone(), seg2.clone(), seg3.clone()].concat(),
            Ok((ByteRange::new(0, i), vec![(i, s1, 2048), (i + s1, s2, 3000), (i + s1 + s2, s3, 2048)])),
        );

        // 64-bit sizes, on the moov and on an mdat.
        let large_mdat = bx64(b"mdat", &[0xbb; 5]);
        let mut init64 = init.clone();
        let moov_payload = init[24 + 8..].to_vec();
        init64.truncate(24);
        init64.extend(bx64(b"moov", &moov_payload));
        let i64_len = init64.len() as u64;
        check(
            &[init64.clone(), m1.clone(), large_mdat.clone()].concat(),
            Ok((ByteRange::new(0, i64_len), vec![(i64_len, (m1.len() + 21) as u64, 2048)])),
        );

        // size == 0: the last mdat runs to the end of the file.
        let open_mdat = bx_to_end(b"mdat", &[0xcc; 33]);
        check(
            &[init.clone(), seg1.clone(), m1.clone(), open_mdat].concat(),
            Ok((ByteRange::new(0, i), vec![(i, s1, 2048), (i + s1, (m1.len() + 41) as u64, 2048)])),
        );

        // Boxes after the last mdat stay in the last segment: segments tile the file.
        let free = bx(b"free", &[0; 4]);
        check(
            &[init.clone(), seg1.clone(), free].concat(),
            Ok((ByteRange::new(0, i), vec![(i, s1 + 12, 2048)])),
        );
    }

    #[test]
    fn errors() {
        let init = init();
        let i = init.len() as u64;
        let m1 = moof_with_durations(&[512]);
        let mdat = bx(b"mdat", &[0xaa; 10]);
        let good = [init.clone(), m1.clone(), mdat.clone()].concat();
        let n = good.len() as u64;
        let truncated = |what: &str, offset: u64, needed: u64, available: u64| Error::Truncated {
            what: what.into(),
            offset,
            needed,
            available,
        };

        check(&[], Err(truncated("box header", 0, 8, 0)));
        check(&good[..5], Err(truncated("box header", 0, 8, 5)));
        let f = 24; // ftyp
        check(&good[..20], Err(truncated("`ftyp` box", 0, f, 20)));
        check(&good[..26], Err(truncated("box header", f, 8, 2)));
        check(&good[..40], Err(truncated("`moov` box", f, i - f, 16)));
        check(&good[..i as usize], Err(Error::NoSegments));
        check(&good[..(n - 1) as usize], Err(truncated("`mdat` box", n - 18, 18, 17)));
        check(&[init.clone(), m1.clone()].concat(), Err(Error::MissingBox { path: "mdat" }));
        check(
            &[init.clone(), mdat.clone()].concat(),
            Err(Error::UnexpectedBox { expected: "`moof` before `mdat`", found: FourCc::MDAT, offset: i }),
        );
        check(
            &[init.clone(), m1.clone(), m1.clone(), mdat.clone()].concat(),
            Err(Error::UnexpectedBox {
                expected: "`mdat` after `moof`",
                found: FourCc::MOOF,
                offset: i + m1.len() as u64,
            }),
        );
        check(b"GIF89a garbage garbage", Err(truncated("`9a g` box", 0, 0x4749_4638, 22)));
        check(
            &[0, 0, 0, 4, b'f', b't', b'y', b'p'],
            Err(Error::BadBoxSize { kind: FourCc::FTYP, offset: 0, size: 4 }),
        );
        check(
            &[bx(b"free", &[]), init.clone()].concat(),
            Err(Error::UnexpectedBox { expected: "`ftyp`", found: FourCc(*b"free"), offset: 0 }),
        );
        check(&init[..f as usize], Err(Error::MissingBox { path: "moov" }));
        // The video trun (the last one) declaring more samples than it holds.
        let mut lying = m1.clone();
        let count_at = lying.windows(4).rposition(|w| w == b"trun").map(|p| p + 8).unwrap_or(0);
        lying[count_at..count_at + 4].copy_from_slice(&1000u32.to_be_bytes());
        check(
            &[init.clone(), lying, mdat.clone()].concat(),
            Err(truncated("`trun` box", i + count_at as u64 + 8, 4000, 4)),
        );
        // No duration anywhere: a file without trex.
        let no_trex = [bx(b"ftyp", b"iso5"), bx(b"moov", &trak(1, b"vide", 12800))].concat();
        check(
            &[no_trex, moof_with_defaults(2, None), mdat].concat(),
            Err(Error::MissingSampleDuration { track_id: 1 }),
        );
    }
}
