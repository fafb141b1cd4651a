//! Sharing a sign-in with the AWS CLI. Its token cache is `~/.aws/sso/cache/<sha1>.json`, named
//! by the SHA-1 of the sso-session's name (switchboard's source name) or, for legacy profiles,
//! of the start URL. A valid token there for the source's start URL is used instead of asking
//! for a sign-in, so an operator who ran `aws sso login` is not asked again.
//!
//! Writing it back is opt-in (`sso_share_with_aws_cli = true`): the file is plain text by the
//! AWS CLI's design. It is written atomically (a temporary file, mode 0600, renamed) with the
//! fields the CLI reads. A file that is truncated, not JSON, for another start URL or expired
//! is passed over with a note, never an error.

use std::path::PathBuf;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::{Registration, SsoToken};
use crate::domain::inventory::SsoSettings;

/// The fields of a cache entry, as the AWS CLI and the SDKs write them (camelCase).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    access_token: String,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_url: Option<String>,
}

/// `~/.aws/sso/cache`, where the AWS CLI keeps its tokens.
pub fn cache_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".aws").join("sso").join("cache"))
}

fn file_name(key: &str) -> String {
    let digest = Sha1::digest(key.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{hex}.json")
}

/// The files a source's token may be in: by its session name, then by its start URL.
fn candidates(source: &str, sso: &SsoSettings) -> Vec<PathBuf> {
    let Some(dir) = cache_dir() else { return Vec::new() };
    vec![dir.join(file_name(source)), dir.join(file_name(&sso.start_url))]
}

/// `2026-12-02T10:00:00Z`, `…UTC` (older CLIs) or with fractions: when an entry ends.
fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let text = text.strip_suffix("UTC").map_or_else(|| text.to_owned(), |rest| format!("{rest}Z"));
    text.parse().ok()
}

/// A valid token of the AWS CLI's cache for this source, if there is one with more than
/// `margin` left. Its refresh token comes along only when the token is shared back
/// (`sso_share_with_aws_cli`): refreshing rotates it, and the CLI would be left holding a used
/// one. Without sharing, the token is used until it ends, then the cache is read again.
pub fn read(source: &str, sso: &SsoSettings, now: Timestamp, margin: jiff::SignedDuration) -> Option<SsoToken> {
    candidates(source, sso).into_iter().find_map(|path| {
        let text = std::fs::read_to_string(&path).ok()?;
        let note = |why: &str| tracing::warn!("the AWS CLI's token cache {} is passed over: {why}", path.display());
        let Ok(entry) = serde_json::from_str::<Entry>(&text) else {
            note("not a token entry (truncated or not JSON)");
            return None;
        };
        if entry
            .start_url
            .as_deref()
            .is_some_and(|url| url.trim_end_matches('/') != sso.start_url.trim_end_matches('/'))
        {
            note("it is for another start URL");
            return None;
        }
        let Some(expires_at) = parse_time(&entry.expires_at) else {
            note("its expiresAt is unreadable");
            return None;
        };
        if expires_at <= now.checked_add(margin).unwrap_or(now) {
            tracing::debug!("the AWS CLI's token in {} has expired", path.display());
            return None;
        }
        let registration = Registration {
            client_id: entry.client_id.unwrap_or_default(),
            client_secret: SecretString::from(entry.client_secret.unwrap_or_default()),
            // No registration with it: it cannot be refreshed (`refreshable` is false).
            expires_at: entry.registration_expires_at.as_deref().and_then(parse_time).unwrap_or(Timestamp::UNIX_EPOCH),
            pkce: false,
        };
        tracing::info!("using the AWS CLI's Identity Center token of {} ({})", sso.start_url, path.display());
        Some(SsoToken {
            access_token: SecretString::from(entry.access_token),
            expires_at,
            refresh_token: entry.refresh_token.filter(|_| sso.share_with_aws_cli).map(SecretString::from),
            registration,
        })
    })
}

/// Writes the token where the AWS CLI reads the source's session (opt-in, see the module).
pub fn write(source: &str, sso: &SsoSettings, token: &SsoToken) -> Result<PathBuf, String> {
    let dir = cache_dir().ok_or("no home directory")?;
    let path = dir.join(file_name(source));
    let format = |at: Timestamp| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let entry = Entry {
        access_token: token.bearer().to_owned(),
        expires_at: format(token.expires_at),
        refresh_token: token.refresh_token.as_ref().map(|refresh| refresh.expose_secret().to_owned()),
        client_id: Some(token.registration.client_id.clone()),
        client_secret: Some(token.registration.client_secret.expose_secret().to_owned()),
        registration_expires_at: Some(format(token.registration.expires_at)),
        region: Some(sso.region.clone()),
        start_url: Some(sso.start_url.clone()),
    };
    let text = secrecy::zeroize::Zeroizing::new(serde_json::to_string(&entry).map_err(|error| error.to_string())?);
    write_private(&dir, &path, text.as_bytes()).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(path)
}

/// A temporary file created 0600 beside `path` (never following a planted link), then renamed.
fn write_private(dir: &std::path::Path, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".switchboard-{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = std::fs::remove_file(&temporary);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_named_by_the_sha1_of_the_session_name_as_the_aws_cli_names_it() {
        // hashlib.sha1(b"my-sso").hexdigest(), and of a start URL (legacy profiles).
        assert_eq!(file_name("my-sso"), "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
        assert_eq!(
            file_name("https://my-sso-portal.awsapps.com/start"),
            "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json"
        );
    }

    #[test]
    fn times_of_every_cli_version_are_read() {
        let at: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        assert_eq!(parse_time("2026-12-02T10:00:00Z"), Some(at));
        assert_eq!(parse_time("2026-12-02T10:00:00UTC"), Some(at));
        assert_eq!(parse_time("2026-12-02T10:00:00.000Z"), Some(at));
        assert_eq!(parse_time("tomorrow"), None);
    }
}
