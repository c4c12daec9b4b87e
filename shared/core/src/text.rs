//! Bounding text that came from outside before it is echoed in an error, a log line or
//! a stored record, so one oversized value cannot blow up every answer that shows it.

/// How many characters of an outside value an error message quotes.
pub const QUOTE_MAX_CHARS: usize = 100;

/// `text` as an error message quotes it: in quotes, escaped, and cut at
/// [`QUOTE_MAX_CHARS`] characters with `…`.
pub fn quoted(text: &str) -> String {
    format!("{:?}", bounded(text, QUOTE_MAX_CHARS))
}

/// `text` cut to at most `max_chars` characters, with `…` marking the cut.
pub fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((end, _)) => {
            let mut cut = text[..end].to_owned();
            cut.push('…');
            cut
        }
    }
}

/// `text` cut so that, `…` included, it is at most `max_chars` characters: for fields
/// with a hard limit (Autotask's `title` str(255), a stored reason).
pub fn fit(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    match max_chars {
        0 => String::new(),
        _ => bounded(text, max_chars - 1),
    }
}

/// `text` cut on a character so that, `…` included, it is at most `max_bytes` bytes of
/// UTF-8: for limits counted in bytes (a raw payload kept for diagnosis).
pub fn fit_bytes(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let budget = max_bytes.saturating_sub('…'.len_utf8());
    let mut end = budget.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = text[..end].to_owned();
    if max_bytes >= '…'.len_utf8() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::{bounded, fit, fit_bytes, quoted};

    #[test]
    fn quoted_text_is_escaped_and_cut() {
        assert_eq!(quoted("a\u{1b}b"), "\"a\\u{1b}b\"");
        let long = "x".repeat(1000);
        assert_eq!(quoted(&long), format!("\"{}…\"", "x".repeat(100)));
    }

    #[test]
    fn short_text_is_kept_and_long_text_is_cut_on_a_character() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc…");
        assert_eq!(bounded("ééé", 2), "éé…");
        assert_eq!(bounded("", 0), "");
    }

    #[test]
    fn fit_keeps_the_limit_including_the_mark() {
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
        assert_eq!(fit("abcd", 3).chars().count(), 3);
        assert_eq!(fit("ééé", 2), "é…");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn fit_bytes_cuts_on_a_character_within_the_byte_limit() {
        assert_eq!(fit_bytes("abc", 3), "abc");
        assert_eq!(fit_bytes("abcdef", 5), "ab…");
        // "é" is two bytes: the cut never splits it.
        let cut = fit_bytes("ééé", 5);
        assert_eq!(cut, "é…");
        assert!(cut.len() <= 5);
        let cut = fit_bytes("ééééé", 8);
        assert_eq!(cut, "éé…");
        assert_eq!(fit_bytes("abcdef", 2), "");
    }
}
