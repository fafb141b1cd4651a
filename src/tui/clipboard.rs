//! Copying: OSC 52 (reaches the operator's own clipboard through SSH and tmux) and the
//! system clipboard where one exists.

use base64::Engine as _;

/// The OSC 52 sequences for `text`; inside tmux, also wrapped for tmux's passthrough.
pub fn osc52(text: &str) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut bytes = format!("\x1b]52;c;{encoded}\x07").into_bytes();
    if std::env::var_os("TMUX").is_some() {
        bytes.extend(format!("\x1bPtmux;\x1b\x1b]52;c;{encoded}\x07\x1b\\").into_bytes());
    }
    bytes
}

/// The system clipboard, when a display is there to hold one. Blocking: run off the loop.
pub fn system_clipboard(text: String) -> Result<(), String> {
    let has_display = !cfg!(target_os = "linux")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !has_display {
        return Err("no display".to_owned());
    }
    arboard::Clipboard::new().and_then(|mut clipboard| clipboard.set_text(text)).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_carries_the_text_in_base64() {
        let bytes = super::osc52("export A='b'");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("\x1b]52;c;ZXhwb3J0IEE9J2In\x07"), "{text:?}");
    }
}
