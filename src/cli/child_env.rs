//! The environment a command gets from `exec` and `run`: the role's exports, and nothing else
//! from the AWS environment that could take precedence or confuse it.

use std::process::Command;

use crate::domain::engine::Session;
use crate::domain::exports::{self, ALL_VARIABLES};

/// Variables of other credential sources the SDKs would consult.
const OTHER_CREDENTIAL_SOURCES: [&str; 6] = [
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// Clears what could compete with the session, then sets its exports and `SWITCHBOARD_ROLE`.
/// An operator's own `AWS_ENDPOINT_URL` is kept unless the inventory sets one.
pub fn apply_session(child: &mut Command, session: &Session, endpoint_url: Option<&str>) {
    for name in ALL_VARIABLES.iter().chain(&OTHER_CREDENTIAL_SOURCES) {
        if *name != "AWS_ENDPOINT_URL" || endpoint_url.is_some() {
            child.env_remove(name);
        }
    }
    let vars = exports::variables(&session.credentials, &session.region, endpoint_url);
    child.envs(vars.iter().map(|(name, value)| (*name, value.as_str())));
    child.env("SWITCHBOARD_ROLE", session.role.to_string());
}
