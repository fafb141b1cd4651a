//! The environment a command gets from `exec` and `run`: the role's exports, and nothing else
//! from the AWS environment that could take precedence or confuse it.
//!
//! What the SDKs and the AWS CLI read, and what becomes of it here:
//! - credentials and what they belong to (`AWS_ACCESS_KEY_ID` … `AWS_CREDENTIAL_EXPIRATION`,
//!   the legacy `AWS_ACCESS_KEY` / `AWS_SECRET_KEY` / `AWS_SECURITY_TOKEN`, `AWS_ACCOUNT_ID`),
//!   profiles (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`), web identity (`AWS_ROLE_ARN`,
//!   `AWS_ROLE_SESSION_NAME`, `AWS_WEB_IDENTITY_TOKEN_FILE`), every `AWS_CONTAINER_*`
//!   (URIs, token, token file), every `AWS_EC2_METADATA_*` and the old `AWS_CREDENTIAL_FILE`:
//!   removed; the session's own are set.
//! - the shared credentials file holds nothing but credentials: `AWS_SHARED_CREDENTIALS_FILE`
//!   is the empty file, so no profile's keys stand in for the role's (the SDK for .NET v3
//!   reads the default profile before the environment). The instance metadata service is
//!   off (`AWS_EC2_METADATA_DISABLED=true`): no fallback to the machine's own role.
//! - with a credentials endpoint (`exec --ecs-server`) the config file and boto's too are the
//!   empty file: every SDK reads a profile's credentials before a container endpoint.
//! - endpoints: with the inventory's `endpoint_url`, every `AWS_ENDPOINT_URL_<SERVICE>` and
//!   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (either would win over it) are removed and
//!   `AWS_ENDPOINT_URL` is the inventory's; without it the operator's endpoint variables
//!   stay, as switchboard itself follows them.

use std::process::Command;

use crate::domain::engine::Session;
use crate::domain::exports::{self, ALL_VARIABLES};

/// Credentials, or where the SDKs would find others, beyond the exported variables.
const OTHER_CREDENTIAL_SOURCES: [&str; 8] = [
    // Java SDK v1, Go and boto 2 read these when AWS_ACCESS_KEY_ID is not set.
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    // The account of environment credentials (DynamoDB's account-based endpoints).
    "AWS_ACCOUNT_ID",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// Whole families of credential sources: containers' endpoints and tokens, the instance
/// metadata service.
const OTHER_CREDENTIAL_PREFIXES: [&str; 2] = ["AWS_CONTAINER_", "AWS_EC2_METADATA_"];

/// `AWS_ENDPOINT_URL` and what overrides it in the SDKs.
const ENDPOINT_VARIABLES: [&str; 3] = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"];

/// Known members of the families above, unset by `env --unset` even when this process does
/// not see them set.
const KNOWN_FAMILY_MEMBERS: [&str; 4] = [
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// An empty file for the SDKs' files that must yield nothing.
#[cfg(unix)]
const EMPTY_FILE: &str = "/dev/null";
#[cfg(not(unix))]
const EMPTY_FILE: &str = "NUL";

/// What `exec --ecs-server` leaves out: the command fetches these from the endpoint.
const STATIC_KEYS: [&str; 4] =
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"];

/// Whether the parent's variable `name` must not reach the command: it names credentials or
/// where to find them, or (`own_endpoint`: the inventory sets one) an endpoint that would
/// take the place of the inventory's.
fn competes(name: &str, own_endpoint: bool) -> bool {
    if ENDPOINT_VARIABLES.iter().any(|prefix| name.starts_with(prefix)) {
        return own_endpoint;
    }
    ALL_VARIABLES.contains(&name)
        || OTHER_CREDENTIAL_SOURCES.contains(&name)
        || OTHER_CREDENTIAL_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// What `env --unset` clears in the operator's shell: what `exec` removes (`competes`, over the
/// names known and those set in this process's environment, the shell's), but for what `exec`
/// pins to a safe value instead of leaving unset (the shared credentials file, the instance
/// metadata settings): unset in a shell, those would open the way to other credentials.
pub fn unset_in_shell(own_endpoint: bool) -> Vec<String> {
    let pinned = |name: &str| name == "AWS_SHARED_CREDENTIALS_FILE" || name.starts_with("AWS_EC2_METADATA_");
    let known = ALL_VARIABLES.iter().chain(&OTHER_CREDENTIAL_SOURCES).chain(&KNOWN_FAMILY_MEMBERS);
    let known = known.chain(&ENDPOINT_VARIABLES[..1]).chain(&ENDPOINT_VARIABLES[2..]).map(|name| (*name).to_owned());
    let set = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    let mut names: Vec<String> = Vec::new();
    for name in known.chain(set) {
        if competes(&name, own_endpoint) && !pinned(&name) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Clears what could compete with the session, then sets its exports and `SWITCHBOARD_ROLE`.
/// An operator's own `AWS_ENDPOINT_URL` (and per-service ones) stay unless the inventory sets one.
pub fn apply_session(child: &mut Command, session: &Session, endpoint_url: Option<&str>) {
    let parent = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for name in parent.filter(|name| competes(name, endpoint_url.is_some())) {
        child.env_remove(&name);
    }
    let vars = exports::variables(&session.credentials, &session.region, endpoint_url);
    child.envs(vars.iter().map(|(name, value)| (*name, value.as_str())));
    child.env("AWS_SHARED_CREDENTIALS_FILE", EMPTY_FILE);
    child.env("AWS_EC2_METADATA_DISABLED", "true");
    child.env("SWITCHBOARD_ROLE", session.role.to_string());
}

/// The same clean environment with a credentials endpoint in place of the keys. The profile
/// files go too: every SDK reads a profile's credentials before a container endpoint.
pub fn apply_endpoint(child: &mut Command, uri: &str, token: &str) {
    for name in STATIC_KEYS {
        child.env_remove(name);
    }
    child.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
    child.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
    for file in ["AWS_CONFIG_FILE", "BOTO_CONFIG"] {
        child.env(file, EMPTY_FILE);
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    /// What `child` is told of `name`: `Some(None)` removed, `Some(Some(value))` set.
    fn explicit<'a>(child: &'a Command, name: &str) -> Option<Option<&'a OsStr>> {
        child.get_envs().find(|(key, _)| *key == OsStr::new(name)).map(|(_, value)| value)
    }

    #[test]
    fn credential_and_endpoint_variables_compete_and_others_do_not() {
        for name in [
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "AWS_SECURITY_TOKEN",
            "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ] {
            assert!(competes(name, false), "{name}");
        }
        for name in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] {
            assert!(competes(name, true), "{name} with the inventory's endpoint");
            assert!(!competes(name, false), "{name} is the operator's without one");
        }
        for name in ["AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS", "AWS_CONFIG_FILE", "PATH", "AWS_USE_FIPS_ENDPOINT"] {
            assert!(!competes(name, true), "{name}");
        }
    }

    #[test]
    fn env_unset_clears_what_exec_clears_but_what_exec_pins() {
        let with_endpoint = unset_in_shell(true);
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_ENDPOINT_URL",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        ] {
            assert!(with_endpoint.iter().any(|unset| unset == name), "{name}: {with_endpoint:?}");
        }
        for name in ["AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_CONFIG_FILE", "AWS_CA_BUNDLE"] {
            assert!(!with_endpoint.iter().any(|unset| unset == name), "{name}: {with_endpoint:?}");
        }
        let without = unset_in_shell(false);
        assert!(!without.iter().any(|name| name.starts_with("AWS_ENDPOINT_URL")), "{without:?}");
        assert!(without.iter().any(|name| name == "AWS_SECRET_KEY"), "{without:?}");
    }

    #[test]
    fn an_endpoint_replaces_the_keys_and_empties_the_profile_files() {
        let mut child = Command::new("true");
        apply_endpoint(&mut child, "http://127.0.0.1:1/credentials", "token");
        assert_eq!(explicit(&child, "AWS_ACCESS_KEY_ID"), Some(None), "removed");
        assert_eq!(explicit(&child, "AWS_CONFIG_FILE"), Some(Some(OsStr::new(EMPTY_FILE))));
        assert_eq!(explicit(&child, "BOTO_CONFIG"), Some(Some(OsStr::new(EMPTY_FILE))));
        let uri = explicit(&child, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        assert_eq!(uri, Some(Some(OsStr::new("http://127.0.0.1:1/credentials"))));
    }
}
