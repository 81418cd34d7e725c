//! Parsing the human-friendly values of the command line: `1s`, `500ms`, `8MiB`.

use std::time::Duration;

use crate::transfer::MAX_CHUNK_SIZE;

/// `500ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds; must be above zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a duration such as 1s or 500ms"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        unit => return Err(format!("unknown unit {unit:?} in {text:?}; use ms, s or m")),
    };
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("{text:?} must be longer than zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `8MiB`, `512KiB`, `1048576` (bytes); `K`/`M` and `KB`/`MB` are read as binary units too.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a size such as 8MiB"))?;
    let multiplier = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        unit => return Err(format!("unknown unit {unit:?} in {text:?}; use B, KiB or MiB")),
    };
    Ok(number.saturating_mul(multiplier))
}

/// A transfer chunk size: 1 byte to 32 MiB, the protocol's limit.
pub fn parse_chunk_size(text: &str) -> Result<u64, String> {
    let size = parse_byte_size(text)?;
    if size == 0 || size > MAX_CHUNK_SIZE {
        return Err(format!("{text:?} is outside 1 B to 32 MiB, the protocol's chunk limit"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size("8MiB"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_chunk_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_chunk_size("4096"), Ok(4096));
        assert_eq!(parse_chunk_size("32M"), Ok(32 * 1024 * 1024));
        assert!(parse_chunk_size("33MiB").is_err());
        assert!(parse_chunk_size("0").is_err());
        assert!(parse_chunk_size("1GiB").is_err());
    }
}
