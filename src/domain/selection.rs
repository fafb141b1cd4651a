//! Which roles a fleet command acts on: `ACCOUNT/ROLE` globs (`*/readonly`, `prod-*/admin`),
//! narrowed by account tags and environments. The CLI uses it now, the screen's marks later.
//!
//! How the parts combine:
//! - patterns are OR-ed: a role is in if any pattern matches it; no pattern means every role;
//! - `--tag` is AND-ed: the account must carry every tag asked for (narrowing, never widening,
//!   is the safe reading for a command that will run in each account);
//! - `--env` is OR-ed: an account has one environment, so `--env staging --env dev` means either;
//! - the three are AND-ed together.
//!
//! A pattern without glob characters is an address and selects exactly that role; one that
//! names no role is refused with the inventory's own "no such role" message. Any pattern, tag
//! or environment that matches nothing in the inventory is an error too (it is almost always a
//! typo), and so is an empty result, with what matched nothing spelled out.

use globset::{GlobBuilder, GlobMatcher};

use super::inventory::{Account, Inventory, RoleKey};

/// What an operator asked for, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    pub patterns: Vec<String>,
    pub tags: Vec<String>,
    pub environments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectionError {
    #[error("\"{pattern}\" is not a role pattern: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("{0}")]
    UnknownRole(String),
    #[error("nothing selected: {0}")]
    Empty(String),
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.tags.is_empty() && self.environments.is_empty()
    }

    /// The selected roles, in inventory order.
    pub fn select(&self, inventory: &Inventory) -> Result<Vec<RoleKey>, SelectionError> {
        let patterns = self.patterns.iter().map(|text| Pattern::parse(text)).collect::<Result<Vec<_>, _>>()?;
        let mut unmatched = Vec::new();
        for pattern in &patterns {
            if let Pattern::Address(key) = pattern {
                inventory
                    .find_role(&key.to_string())
                    .map_err(|error| SelectionError::UnknownRole(error.to_string()))?;
            }
            if !inventory.roles().any(|(_, role)| pattern.matches(&role.key)) {
                unmatched.push(format!("pattern \"{}\" matches no role", crate::domain::text::echoed(&pattern.text())));
            }
        }
        for tag in &self.tags {
            if !inventory.accounts().iter().any(|account| has_tag(account, tag)) {
                unmatched.push(format!("no account has tag \"{}\"", crate::domain::text::echoed(tag)));
            }
        }
        for environment in &self.environments {
            if !inventory.accounts().iter().any(|account| in_environment(account, environment)) {
                unmatched
                    .push(format!("no account is in environment \"{}\"", crate::domain::text::echoed(environment)));
            }
        }
        if !unmatched.is_empty() {
            return Err(SelectionError::Empty(unmatched.join("; ")));
        }
        let selected: Vec<RoleKey> = inventory
            .roles()
            .filter(|(account, role)| {
                (patterns.is_empty() || patterns.iter().any(|pattern| pattern.matches(&role.key)))
                    && self.tags.iter().all(|tag| has_tag(account, tag))
                    && (self.environments.is_empty()
                        || self.environments.iter().any(|environment| in_environment(account, environment)))
            })
            .map(|(_, role)| role.key.clone())
            .collect();
        if selected.is_empty() {
            return Err(SelectionError::Empty(format!("no role matches all of {}", self.describe())));
        }
        Ok(selected)
    }

    /// `patterns a, b; tags x and y; environment e or f`, for messages.
    fn describe(&self) -> String {
        let quoted = |values: &[String], joiner: &str| {
            values.iter().map(|value| format!("\"{value}\"")).collect::<Vec<_>>().join(joiner)
        };
        let mut parts = Vec::new();
        if !self.patterns.is_empty() {
            parts.push(format!("pattern {}", quoted(&self.patterns, " or ")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tag {}", quoted(&self.tags, " and ")));
        }
        if !self.environments.is_empty() {
            parts.push(format!("environment {}", quoted(&self.environments, " or ")));
        }
        parts.join("; ")
    }
}

fn has_tag(account: &Account, tag: &str) -> bool {
    account.tags.iter().any(|own| own == tag)
}

fn in_environment(account: &Account, environment: &str) -> bool {
    account.environment.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(environment))
}

enum Pattern {
    Address(RoleKey),
    Glob { text: String, matcher: GlobMatcher },
}

impl Pattern {
    fn parse(text: &str) -> Result<Self, SelectionError> {
        let bad = |reason: &str| SelectionError::BadPattern {
            pattern: crate::domain::text::echoed(text).into_owned(),
            reason: reason.to_owned(),
        };
        let (account, role) = text.split_once('/').ok_or_else(|| bad("write it as ACCOUNT/ROLE, e.g. prod-*/admin"))?;
        if account.is_empty() || role.is_empty() || role.contains('/') {
            return Err(bad("write it as ACCOUNT/ROLE, e.g. prod-*/admin"));
        }
        if !text.contains(['*', '?', '[', '{']) {
            return Ok(Pattern::Address(RoleKey { account: account.into(), role: role.into() }));
        }
        // `literal_separator`: `*` stays within the account or the role, never spans the `/`.
        let glob =
            GlobBuilder::new(text).literal_separator(true).build().map_err(|error| bad(&error.kind().to_string()))?;
        Ok(Pattern::Glob { text: text.to_owned(), matcher: glob.compile_matcher() })
    }

    fn matches(&self, key: &RoleKey) -> bool {
        match self {
            Pattern::Address(address) => address == key,
            Pattern::Glob { matcher, .. } => matcher.is_match(key.to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            Pattern::Address(key) => key.to_string(),
            Pattern::Glob { text, .. } => text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLEET: &str = r#"
[sources.hub]
profile = "hub"

[[accounts]]
name = "prod-eu"
id = "111111111111"
environment = "production"
tags = ["payments", "eu"]
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  [[accounts.roles]]
  name = "readonly"
  role_name = "ReadOnly"
  source = "hub"

[[accounts]]
name = "prod-us"
id = "222222222222"
environment = "Production"
tags = ["payments"]
  [[accounts.roles]]
  name = "readonly"
  role_name = "ReadOnly"
  source = "hub"

[[accounts]]
name = "staging"
id = "333333333333"
environment = "staging"
tags = ["eu"]
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"
  [[accounts.roles]]
  name = "readonly"
  role_name = "ReadOnly"
  source = "hub"
"#;

    /// Patterns, tags, environments, and what is expected of them.
    type Case<'a, T> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], T);

    fn inventory() -> Inventory {
        Inventory::parse(std::path::Path::new("fleet.toml"), FLEET).unwrap()
    }

    fn selector(patterns: &[&str], tags: &[&str], environments: &[&str]) -> Selector {
        let owned = |values: &[&str]| values.iter().map(|value| value.to_string()).collect();
        Selector { patterns: owned(patterns), tags: owned(tags), environments: owned(environments) }
    }

    #[test]
    fn selections_pick_the_roles_they_describe() {
        let cases: &[Case<&[&str]>] = &[
            (&["*/readonly"], &[], &[], &["prod-eu/readonly", "prod-us/readonly", "staging/readonly"]),
            (&["prod-*/admin"], &[], &[], &["prod-eu/admin"]),
            (&["prod-*/*"], &[], &[], &["prod-eu/admin", "prod-eu/readonly", "prod-us/readonly"]),
            (&["staging/admin"], &[], &[], &["staging/admin"]),
            (&["staging/admin", "prod-us/*"], &[], &[], &["prod-us/readonly", "staging/admin"]),
            (&["*/r?adonly"], &[], &[], &["prod-eu/readonly", "prod-us/readonly", "staging/readonly"]),
            (&["{staging,prod-us}/readonly"], &[], &[], &["prod-us/readonly", "staging/readonly"]),
            // Tags are AND-ed: both tags are only on prod-eu.
            (&[], &["payments", "eu"], &[], &["prod-eu/admin", "prod-eu/readonly"]),
            (&["*/readonly"], &["eu"], &[], &["prod-eu/readonly", "staging/readonly"]),
            // Environments are OR-ed and compared without case.
            (&["*/readonly"], &[], &["production"], &["prod-eu/readonly", "prod-us/readonly"]),
            (
                &[],
                &[],
                &["staging", "PRODUCTION"],
                &["prod-eu/admin", "prod-eu/readonly", "prod-us/readonly", "staging/admin", "staging/readonly"],
            ),
            (&["*/admin"], &["eu"], &["staging"], &["staging/admin"]),
        ];
        let inventory = inventory();
        for (patterns, tags, environments, expected) in cases {
            let selected = selector(patterns, tags, environments).select(&inventory);
            let names: Vec<String> = selected
                .unwrap_or_else(|error| panic!("{patterns:?} {tags:?}: {error}"))
                .iter()
                .map(RoleKey::to_string)
                .collect();
            assert_eq!(&names, expected, "patterns {patterns:?}, tags {tags:?}, environments {environments:?}");
        }
    }

    #[test]
    fn what_matches_nothing_is_named_in_the_error() {
        let cases: &[Case<&str>] = &[
            (&["dev-*/admin"], &[], &[], "pattern \"dev-*/admin\" matches no role"),
            (&["*/readonly", "*/owner"], &[], &[], "pattern \"*/owner\" matches no role"),
            (&[], &["pci"], &[], "no account has tag \"pci\""),
            (&[], &[], &["qa"], "no account is in environment \"qa\""),
            (&["prod-us/*"], &["eu"], &[], "no role matches all of pattern \"prod-us/*\"; tag \"eu\""),
            (
                &["*/admin"],
                &["payments"],
                &["staging"],
                "no role matches all of pattern \"*/admin\"; tag \"payments\"; environment \"staging\"",
            ),
        ];
        let inventory = inventory();
        for (patterns, tags, environments, expected) in cases {
            let error = selector(patterns, tags, environments).select(&inventory).unwrap_err();
            assert!(matches!(error, SelectionError::Empty(_)), "{error:?}");
            let message = error.to_string();
            assert!(message.starts_with("nothing selected: ") && message.contains(expected), "{message}");
        }
    }

    #[test]
    fn an_address_that_names_no_role_says_what_there_is() {
        let error = selector(&["prod-us/admin"], &[], &[]).select(&inventory()).unwrap_err();
        assert!(matches!(error, SelectionError::UnknownRole(_)), "{error:?}");
        assert!(error.to_string().contains("its roles: readonly"), "{error}");
    }

    #[test]
    fn patterns_must_be_account_slash_role_and_valid_globs() {
        for text in ["prod-*", "*/", "/admin", "a/b/c", "prod-[/admin"] {
            let error = selector(&[text], &[], &[]).select(&inventory()).unwrap_err();
            assert!(matches!(error, SelectionError::BadPattern { .. }), "{text}: {error:?}");
        }
    }

    #[test]
    fn a_star_never_spans_the_slash() {
        let error = selector(&["prod*"], &[], &[]).select(&inventory()).unwrap_err();
        assert!(matches!(error, SelectionError::BadPattern { .. }), "{error:?}");
        let error = selector(&["*admin/*"], &[], &[]).select(&inventory()).unwrap_err();
        assert!(error.to_string().contains("matches no role"), "{error}");
    }

    #[test]
    fn an_empty_selector_selects_every_role() {
        let selector = Selector::default();
        assert!(selector.is_empty());
        assert_eq!(selector.select(&inventory()).unwrap().len(), 5);
    }
}
