//! RFC 6381 codec strings for the master playlist's `CODECS`, read from the init section.
//!
//! [`Codecs::from_init`] walks `moov/trak/mdia/minf/stbl/stsd` and names the first sample entry
//! of the first video and the first audio track: `avc1.PPCCLL` from the `avcC` (profile,
//! constraint flags, level), `mp4a.40.<audio object type>` from the `esds`. Other codecs are an
//! [`Error::UnsupportedCodec`].

use crate::fmp4::{self, BoxRef, FourCc};
use crate::Error;

/// The codec strings of a file's video and audio tracks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Codecs {
    /// E.g. `avc1.64001f`; `None` without a video track.
    pub video: Option<String>,
    /// E.g. `mp4a.40.2`; `None` without an audio track.
    pub audio: Option<String>,
}

impl Codecs {
    /// Reads the codecs from a file, or from any prefix of it that holds the whole `moov`.
    pub fn from_init(bytes: &[u8]) -> Result<Codecs, Error> {
        let moov = fmp4::find(fmp4::boxes(bytes), b"moov")?.ok_or(Error::MissingBox { path: "moov" })?;
        let mut codecs = Codecs::default();
        for trak in moov.children() {
            let trak = trak?;
            if trak.kind.0 != *b"trak" {
                continue;
            }
            let mdia = trak.child(b"mdia")?.ok_or(Error::MissingBox { path: "moov/trak/mdia" })?;
            let hdlr = mdia.child(b"hdlr")?.ok_or(Error::MissingBox { path: "moov/trak/mdia/hdlr" })?;
            let mut f = hdlr.fields();
            f.skip(8)?; // version, flags, pre_defined
            let handler = f.bytes(4)?;
            let slot = match handler {
                b"vide" if codecs.video.is_none() => &mut codecs.video,
                b"soun" if codecs.audio.is_none() => &mut codecs.audio,
                _ => continue,
            };
            let entry = first_sample_entry(&mdia)?;
            *slot = Some(match &entry.kind.0 {
                b"avc1" | b"avc3" => {
                    // VisualSampleEntry: 8 bytes SampleEntry + 70 bytes of fixed fields.
                    let avcc = fmp4::find(entry.children_after(78)?, b"avcC")?
                        .ok_or(Error::MissingBox { path: "stsd/avc1/avcC" })?;
                    avc_codec(&entry.kind, &avcc)?
                }
                b"mp4a" => {
                    let esds = fmp4::find(entry.children_after(audio_entry_len(&entry)?)?, b"esds")?
                        .ok_or(Error::MissingBox { path: "stsd/mp4a/esds" })?;
                    mp4a_codec(&esds)?
                }
                b"Opus" => "opus".to_owned(),
                b"fLaC" => "fLaC".to_owned(),
                _ => return Err(Error::UnsupportedCodec { fourcc: entry.kind }),
            });
        }
        Ok(codecs)
    }

    /// The value of the master playlist's `CODECS` attribute: `video,audio`, or whichever exists.
    pub fn hls_value(&self) -> String {
        [self.video.as_deref(), self.audio.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(",")
    }
}

fn first_sample_entry<'a>(mdia: &BoxRef<'a>) -> Result<BoxRef<'a>, Error> {
    let stsd = mdia
        .child(b"minf")?
        .ok_or(Error::MissingBox { path: "moov/trak/mdia/minf" })?
        .child(b"stbl")?
        .ok_or(Error::MissingBox { path: "moov/trak/mdia/minf/stbl" })?
        .child(b"stsd")?
        .ok_or(Error::MissingBox { path: "moov/trak/mdia/minf/stbl/stsd" })?;
    // Full box header (4) and entry_count (4), then the entries.
    stsd.children_after(8)?.next().ok_or(Error::MissingBox { path: "stsd entry" })?
}

/// Length of an AudioSampleEntry's fixed fields (QuickTime versions 1 and 2 add more).
fn audio_entry_len(entry: &BoxRef<'_>) -> Result<usize, Error> {
    let mut f = entry.fields();
    f.skip(8)?; // reserved, data_reference_index
    Ok(match f.u16()? {
        1 => 28 + 16,
        2 => 28 + 36,
        _ => 28,
    })
}

/// `avc1.PPCCLL` from the first bytes of an `avcC` box.
fn avc_codec(kind: &FourCc, avcc: &BoxRef<'_>) -> Result<String, Error> {
    let mut f = avcc.fields();
    f.skip(1)?; // configurationVersion
    let (profile, compat, level) = (f.u8()?, f.u8()?, f.u8()?);
    Ok(format!("{kind}.{profile:02x}{compat:02x}{level:02x}"))
}

/// `mp4a.<object type>[.<audio object type>]` from an `esds` box.
fn mp4a_codec(esds: &BoxRef<'_>) -> Result<String, Error> {
    let mut f = esds.fields();
    f.full_box()?;
    if descriptor(&mut f)? != 0x03 {
        return Err(Error::BadEsds { reason: "no ES_Descriptor" });
    }
    f.skip(2)?; // ES_ID
    let flags = f.u8()?;
    if flags & 0x80 != 0 {
        f.skip(2)?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let len = f.u8()?;
        f.skip(usize::from(len))?; // URL
    }
    if flags & 0x20 != 0 {
        f.skip(2)?; // OCR_ES_Id
    }
    if descriptor(&mut f)? != 0x04 {
        return Err(Error::BadEsds { reason: "no DecoderConfigDescriptor" });
    }
    let object_type = f.u8()?;
    f.skip(12)?; // streamType, bufferSizeDB, maxBitrate, avgBitrate
    if object_type != 0x40 {
        return Ok(format!("mp4a.{object_type:02x}"));
    }
    if descriptor(&mut f)? != 0x05 {
        return Err(Error::BadEsds { reason: "no DecoderSpecificInfo for MPEG-4 audio" });
    }
    let b0 = f.u8()?;
    let mut aot = b0 >> 3;
    if aot == 31 {
        let b1 = f.u8()?;
        aot = 32 + (((b0 & 0x07) << 3) | (b1 >> 5));
    }
    Ok(format!("mp4a.40.{aot}"))
}

/// Reads a descriptor tag and its expandable length; returns the tag.
fn descriptor(f: &mut fmp4::Fields<'_>) -> Result<u8, Error> {
    let tag = f.u8()?;
    for _ in 0..4 {
        if f.u8()? & 0x80 == 0 {
            return Ok(tag);
        }
    }
    Err(Error::BadEsds { reason: "descriptor length longer than 4 bytes" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &[u8; 4], payload: &[u8], expect: Result<&str, Error>) {
        let b = BoxRef { kind: FourCc(*kind), offset: 0, header_len: 8, payload };
        let got = match kind {
            b"esds" => mp4a_codec(&b),
            _ => avc_codec(&FourCc(*b"avc1"), &b),
        };
        assert_eq!(got.as_deref().map_err(Clone::clone), expect);
    }

    #[test]
    fn codec_strings() {
        // ES_Descriptor (0x03), DecoderConfigDescriptor (0x04, OTI 0x40), DecoderSpecificInfo (0x05).
        let esds = |oti: u8, asc: &[u8]| {
            let mut p = vec![0, 0, 0, 0, 0x03, 0x80, 0x80, 0x80, 0x22, 0, 1, 0, 0x04, 0x14, oti, 0x15];
            p.extend_from_slice(&[0; 11]);
            p.extend_from_slice(&[0x05, asc.len() as u8]);
            p.extend_from_slice(asc);
            p
        };
        check(b"esds", &esds(0x40, &[0x11, 0x90]), Ok("mp4a.40.2"));
        check(b"esds", &esds(0x40, &[0x2b, 0x92]), Ok("mp4a.40.5"));
        check(b"esds", &esds(0x40, &[0xf8, 0xe0]), Ok("mp4a.40.39")); // escape: 32 + 7
        check(b"esds", &esds(0x6b, &[]), Ok("mp4a.6b"));
        check(b"esds", &[0, 0, 0, 0, 0x04, 0x00], Err(Error::BadEsds { reason: "no ES_Descriptor" }));
        check(b"avcC", &[1, 0x64, 0x00, 0x1f, 0xff], Ok("avc1.64001f"));
        check(
            b"avcC",
            &[1, 0x42, 0xc0],
            Err(Error::Truncated { what: "`avcC` box".into(), offset: 11, needed: 1, available: 0 }),
        );
    }
}
