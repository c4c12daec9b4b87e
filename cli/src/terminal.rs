//! Text for the operator's terminal. What the CLI prints comes largely from elsewhere —
//! the config endpoint's answers, Autotask company and Acronis tenant names, error
//! messages quoting input — and a control character in it (an ESC starting a colour or
//! cursor sequence, a carriage return overwriting the line, a bidirectional override
//! reordering it) would act on the terminal instead of being shown. Everything printed
//! goes through [`printable`]: such characters become visible `\u{…}` escapes.

use std::borrow::Cow;

/// Whether `c` would act on a terminal rather than show: C0 controls, DEL, C1 controls,
/// and the Unicode bidirectional embeddings, overrides and isolates.
fn acts_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line of text as it may reach a terminal: each control character (newlines
/// included) written as `\u{1b}`, `\u{a}`, …; everything else unchanged.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts_on_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Several lines: each line made [`printable`], the line breaks kept.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes_and_the_rest_is_kept() {
        assert_eq!(
            printable("Contoso \u{1b}[31mRed\u{1b}[0m"),
            "Contoso \\u{1b}[31mRed\\u{1b}[0m"
        );
        assert_eq!(
            printable("a\rb\u{7f}c\u{9b}d\0"),
            "a\\u{d}b\\u{7f}c\\u{9b}d\\u{0}"
        );
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(printable("tab\there\nnext"), "tab\\u{9}here\\u{a}next");
        assert!(matches!(printable("Fabrikam Inc — ü ✓"), Cow::Borrowed(_)));
        assert_eq!(
            printable_lines("line \u{1b}]0;title\u{7}\n  next\n"),
            "line \\u{1b}]0;title\\u{7}\n  next\n"
        );
    }
}
