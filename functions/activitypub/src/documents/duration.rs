//! ISO 8601 durations: PeerTube writes `PT<seconds>S`; other servers write `PT1M5S` or `PT1H`.

/// The duration `text` in whole seconds (fractions truncated), or `None` if it is not an ISO 8601
/// duration of days, hours, minutes and seconds (weeks too) or overflows.
pub fn parse_duration(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.find(['T', 't']) {
        Some(t) => (&rest[..t], Some(&rest[t + 1..])),
        None => (rest, None),
    };
    if date.is_empty() && time.is_none_or(str::is_empty) {
        return None;
    }
    let mut total = 0u64;
    total = add_parts(total, date, &[('W', 7 * 86_400), ('D', 86_400)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        total = add_parts(total, time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    Some(total)
}

/// `PT<seconds>S`, as PeerTube writes durations.
pub fn format_duration(seconds: u64) -> String {
    format!("PT{seconds}S")
}

/// Adds to `total` the `<number><unit>` parts of `text`, whose units must come in the order of
/// `units` (each at most once).
fn add_parts(mut total: u64, mut text: &str, units: &[(char, u64)]) -> Option<u64> {
    let mut allowed = units;
    while !text.is_empty() {
        let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
        let (number, after) = text.split_at(end);
        let mut chars = after.chars();
        let unit = chars.next()?.to_ascii_uppercase();
        let position = allowed.iter().position(|(u, _)| *u == unit)?;
        let seconds_per_unit = allowed[position].1;
        allowed = &allowed[position + 1..];
        total = total.checked_add(whole_seconds(number, seconds_per_unit)?)?;
        text = chars.as_str();
    }
    Some(total)
}

/// `number` (digits, maybe with a decimal fraction) units of `seconds_per_unit` seconds.
fn whole_seconds(number: &str, seconds_per_unit: u64) -> Option<u64> {
    let (whole, fraction) = match number.find(['.', ',']) {
        Some(dot) => (&number[..dot], &number[dot + 1..]),
        None => (number, ""),
    };
    if whole.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut seconds = whole.parse::<u64>().ok()?.checked_mul(seconds_per_unit)?;
    if !fraction.is_empty() {
        // At most 9 digits of fraction matter; the rest cannot change a whole second.
        let digits = &fraction[..fraction.len().min(9)];
        let scale = 10u64.pow(digits.len() as u32);
        let part = digits.parse::<u64>().ok()?;
        seconds = seconds.checked_add(part.checked_mul(seconds_per_unit)? / scale)?;
    }
    Some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, expected) in [
            ("PT5S", Some(5)),
            ("PT211S", Some(211)),
            ("PT1M5S", Some(65)),
            ("PT1H", Some(3600)),
            ("PT1H2M3S", Some(3723)),
            ("P1DT1S", Some(86_401)),
            ("P1W", Some(604_800)),
            ("PT10.6S", Some(10)),
            ("PT0.5M", Some(30)),
            ("pt7s", Some(7)),
            ("PT0S", Some(0)),
            ("", None),
            ("P", None),
            ("PT", None),
            ("P1DT", None),
            ("5", None),
            ("PT5", None),
            ("PTS", None),
            ("PT5X", None),
            ("PT1S1M", None),
            ("PT1S1S", None),
            ("PT-1S", None),
            ("PT.5S", None),
            ("PT1.2.3S", None),
            ("PT99999999999999999999S", None),
            ("P9999999999999999W", None),
            ("PT1é", None),
        ] {
            assert_eq!(parse_duration(text), expected, "{text:?}");
        }
        assert_eq!(format_duration(5), "PT5S");
    }
}
