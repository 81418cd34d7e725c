//! Comment text from other servers: Mastodon sends HTML (`<p>`, `<br>`, links, mention spans),
//! PeerTube sends markdown. We store plain text / markdown, as PeerTube's own comments are, so
//! HTML is reduced to its text with paragraph and line breaks kept and entities decoded.
//!
//! Hand-rolled on purpose: the sanitisers on crates.io (ammonia, html2text) pull an HTML5 parser
//! that would add hundreds of kilobytes to a Worker that must start in under a second, and we
//! keep no markup at all, so nothing here decides what is safe to render.

/// The text of an HTML fragment: tags dropped, `<br>` a line break, a closing `</p>` a blank
/// line, entities decoded.
pub fn from_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        let after = &rest[start..];
        // `<` not followed by a tag name is text (`a < b`), as an HTML parser reads it.
        if !after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let Some(end) = after.find('>') else {
            // An unclosed `<` is text.
            out.push_str(&decode_entities(after));
            rest = "";
            break;
        };
        let tag = after[1..end].trim().to_ascii_lowercase();
        let name =
            tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match (tag.starts_with('/'), name) {
            (false, "br") => out.push('\n'),
            (true, "p") => out.push_str("\n\n"),
            _ => {}
        }
        rest = &after[end + 1..];
    }
    out.push_str(&decode_entities(rest));
    out.trim().to_owned()
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let decoded = after.find(';').filter(|end| *end <= 10).and_then(|end| {
            let entity = &after[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::from_html;

    #[test]
    fn mastodon_html_becomes_text() {
        let cases = [
            (
                r#"<p><span class="h-card"><a href="https://a.example/accounts/root" class="u-url mention">@<span>root</span></a></span> Great video!</p><p>Second&nbsp;line &amp; more<br>after a break</p>"#,
                "@root Great video!\n\nSecond line & more\nafter a break",
            ),
            ("plain **markdown** stays", "plain **markdown** stays"),
            ("a < b and c > d", "a < b and c > d"),
            ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
            ("<script>alert(1)</script>", "alert(1)"),
            ("&#x1F430; &#128048; &bogus; &", "🐰 🐰 &bogus; &"),
            ("unclosed <b", "unclosed <b"),
        ];
        for (html, text) in cases {
            assert_eq!(from_html(html), text, "{html}");
        }
    }
}
