//! What the operator typed, as error messages echo it: cut to a length a terminal line holds.
//! A 100 KB role address is quoted by its first 80 characters and how long it was, not whole.

use std::borrow::Cow;

/// How much of the operator's input an error message quotes.
pub const ECHOED_CHARS: usize = 80;

/// `text` when it has at most `ECHOED_CHARS` characters, else its first ones, an ellipsis and
/// its length (`prod/aaaa… (100000 characters)`).
pub fn echoed(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(ECHOED_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} characters)", &text[..cut], text.chars().count())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_echoed_whole_and_long_input_by_its_start_and_length() {
        assert_eq!(echoed("prod/admin"), "prod/admin");
        let exact = "a".repeat(ECHOED_CHARS);
        assert_eq!(echoed(&exact), exact);
        let long = format!("{}/admin", "é".repeat(100_000));
        let shown = echoed(&long);
        assert_eq!(shown, format!("{}… (100006 characters)", "é".repeat(ECHOED_CHARS)));
    }
}
