//! `segments-sha256.json`: the SHA-256 of every media segment, which P2P players check.
//!
//! The document maps each fragmented MP4's name to `"<first byte>-<last byte>"` (inclusive) →
//! lowercase hex SHA-256, one entry per `#EXT-X-BYTERANGE` in file order; the init section is
//! not hashed. Files keep the order they are added in (PeerTube lists them by ascending
//! resolution).
//!
//! PeerTube writes the document as compact JSON with a trailing newline ([`SegmentHashes::to_json`]:
//! the 675 bytes of the sample video's file in `storage-files.txt`); the reference sample is the
//! same document indented by two spaces ([`SegmentHashes::to_json_pretty`]). Players parse either.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::fmp4::{ByteRange, Fmp4Layout};
use crate::Error;
use edgetube_ports::encoding::hex;

/// The contents of `segments-sha256.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegmentHashes {
    files: Vec<(String, Vec<(ByteRange, String)>)>,
}

/// A segment whose bytes do not hash to the recorded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The file name.
    pub file: String,
    /// The segment's bytes.
    pub range: ByteRange,
    /// The recorded hash.
    pub expected: String,
    /// The hash of the bytes; `None` when the range lies outside the file.
    pub actual: Option<String>,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn slice(bytes: &[u8], range: ByteRange) -> Option<&[u8]> {
    let start = usize::try_from(range.offset).ok()?;
    let end = usize::try_from(range.end()).ok()?;
    bytes.get(start..end)
}

fn range_key(range: ByteRange) -> String {
    format!("{}-{}", range.offset, range.last_byte())
}

impl SegmentHashes {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hashes the media segments of `bytes`, a fragmented MP4 whose layout is `layout`, and
    /// records them under `file_name` (replacing an earlier entry of that name).
    pub fn add_file(&mut self, file_name: &str, bytes: &[u8], layout: &Fmp4Layout) -> Result<(), Error> {
        self.add_ranges(file_name, bytes, layout.segment_ranges())
    }

    /// Hashes the given byte ranges of `bytes` and records them under `file_name`
    /// (replacing an earlier entry of that name).
    pub fn add_ranges(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        ranges: impl IntoIterator<Item = ByteRange>,
    ) -> Result<(), Error> {
        let hashes = ranges
            .into_iter()
            .map(|range| {
                let segment = slice(bytes, range).ok_or_else(|| Error::RangeOutOfBounds {
                    file: file_name.to_owned(),
                    range,
                    len: bytes.len() as u64,
                })?;
                Ok((range, sha256_hex(segment)))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        match self.files.iter_mut().find(|(name, _)| name == file_name) {
            Some(entry) => entry.1 = hashes,
            None => self.files.push((file_name.to_owned(), hashes)),
        }
        Ok(())
    }

    /// Records hashes computed elsewhere (by the runner that holds the bytes) under `file_name`,
    /// sorted by offset (replacing an earlier entry of that name).
    pub fn add_hashes(&mut self, file_name: &str, mut hashes: Vec<(ByteRange, String)>) {
        hashes.sort_by_key(|(range, _)| range.offset);
        match self.files.iter_mut().find(|(name, _)| name == file_name) {
            Some(entry) => entry.1 = hashes,
            None => self.files.push((file_name.to_owned(), hashes)),
        }
    }

    /// The recorded files, in order, with their ranges and hashes.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[(ByteRange, String)])> {
        self.files.iter().map(|(name, hashes)| (name.as_str(), hashes.as_slice()))
    }

    fn to_value(&self) -> Value {
        let files = self.files.iter().map(|(name, hashes)| {
            let ranges = hashes.iter().map(|(r, h)| (range_key(*r), Value::String(h.clone())));
            (name.clone(), Value::Object(ranges.collect::<Map<_, _>>()))
        });
        Value::Object(files.collect())
    }

    /// Compact JSON with a trailing newline, byte for byte what PeerTube writes.
    pub fn to_json(&self) -> String {
        format!("{}\n", self.to_value())
    }

    /// The same document indented by two spaces, with a trailing newline (the reference sample's form).
    pub fn to_json_pretty(&self) -> String {
        format!("{:#}\n", self.to_value())
    }

    /// Reads a document in either form, keeping the order of files and ranges.
    pub fn parse(json: &str) -> Result<SegmentHashes, Error> {
        let bad = |reason: String| Error::InvalidSha256Json { reason };
        let value: Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        let Value::Object(files) = value else { return Err(bad("not an object".into())) };
        let mut out = SegmentHashes::new();
        for (name, ranges) in files {
            let Value::Object(ranges) = ranges else { return Err(bad(format!("`{name}` is not an object"))) };
            let mut hashes = Vec::new();
            for (key, hash) in ranges {
                let range = key
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                    .filter(|(first, last)| first <= last)
                    .map(|(first, last)| ByteRange::new(first, last - first + 1))
                    .ok_or_else(|| bad(format!("`{key}` is not a <first>-<last> range")))?;
                let Value::String(hash) = hash else { return Err(bad(format!("`{key}` is not a string"))) };
                hashes.push((range, hash));
            }
            out.files.push((name, hashes));
        }
        Ok(out)
    }

    /// Checks every range recorded for `file_name` against `bytes` and returns the mismatches:
    /// none when all match, or when nothing is recorded for `file_name`.
    pub fn verify(&self, file_name: &str, bytes: &[u8]) -> Vec<Mismatch> {
        let Some((_, hashes)) = self.files.iter().find(|(name, _)| name == file_name) else {
            return Vec::new();
        };
        hashes
            .iter()
            .filter_map(|(range, expected)| {
                let actual = slice(bytes, *range).map(sha256_hex);
                (actual.as_deref() != Some(expected.to_ascii_lowercase().as_str())).then(|| Mismatch {
                    file: file_name.to_owned(),
                    range: *range,
                    expected: expected.clone(),
                    actual,
                })
            })
            .collect()
    }
}
