//! A line-based reader of the AWS shared config file format, written for speed (one pass,
//! no regexes, borrowed slices) and for positions: every profile and key keeps its line so
//! an import can say where each thing it could not use is.

use std::borrow::Cow;

use foldhash::HashMap;

/// One `[profile NAME]` (or `[default]`, or `[sso-session NAME]`) section, merged with any later
/// section of the same name. Names and values are slices of the file's text: at 100,000
/// profiles, a copy of each would be most of an import's memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigProfile<'a> {
    pub name: &'a str,
    /// The line of the section header (1-based).
    pub line: usize,
    /// Its keys in the order first written (a later value of a key replaces the earlier one),
    /// lower-cased as the SDKs compare them. A profile has a handful: a scan beats hashing.
    values: Vec<ConfigValue<'a>>,
    /// Set when a line inside the section could not be read: the profile is not used.
    pub broken: Option<(usize, String)>,
}

/// `key` as written: keys are compared ignoring ASCII case, as the SDKs do.
#[derive(Debug, Clone, PartialEq)]
struct ConfigValue<'a> {
    key: &'a str,
    value: &'a str,
    line: usize,
}

impl<'a> ConfigProfile<'a> {
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.value(key).map(|found| found.value).filter(|value| !value.is_empty())
    }

    pub fn line_of(&self, key: &str) -> usize {
        self.value(key).map_or(self.line, |found| found.line)
    }

    /// Every key (lower-cased) with the line it is on.
    pub fn keys(&self) -> impl Iterator<Item = (Cow<'a, str>, usize)> {
        self.values.iter().map(|found| {
            let key = if found.key.bytes().any(|byte| byte.is_ascii_uppercase()) {
                Cow::Owned(found.key.to_ascii_lowercase())
            } else {
                Cow::Borrowed(found.key)
            };
            (key, found.line)
        })
    }

    fn value(&self, key: &str) -> Option<&ConfigValue<'a>> {
        self.values.iter().find(|found| found.key.eq_ignore_ascii_case(key))
    }

    fn set(&mut self, key: &'a str, value: &'a str, line: usize) {
        match self.values.iter_mut().find(|found| found.key.eq_ignore_ascii_case(key)) {
            Some(found) => (found.value, found.line) = (value, line),
            None => {
                // Most profiles hold two or three keys: room for three, not the four a push makes.
                if self.values.is_empty() {
                    self.values.reserve_exact(3);
                }
                self.values.push(ConfigValue { key, value, line });
            }
        }
    }
}

/// A line the reader could not use, or a section that is not a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxProblem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct ParsedConfig<'a> {
    /// In the order their first section appears.
    pub profiles: Vec<ConfigProfile<'a>>,
    pub problems: Vec<SyntaxProblem>,
    /// `[sso-session NAME]` sections, in the order their first section appears.
    pub sso_sessions: Vec<ConfigProfile<'a>>,
    /// Profile name → index in `profiles`: lookups stay constant time at 100,000 profiles.
    index_of: HashMap<&'a str, usize>,
    /// Session name → index in `sso_sessions`.
    session_index_of: HashMap<&'a str, usize>,
}

impl<'a> ParsedConfig<'a> {
    pub fn profile(&self, name: &str) -> Option<&ConfigProfile<'a>> {
        self.index_of.get(name).and_then(|&index| self.profiles.get(index))
    }

    /// Where the profile called `name` is in `profiles`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index_of.get(name).copied()
    }

    pub fn sso_session(&self, name: &str) -> Option<&ConfigProfile<'a>> {
        self.session_index_of.get(name).and_then(|&index| self.sso_sessions.get(index))
    }

    fn section_mut(&mut self, section: &Section) -> Option<&mut ConfigProfile<'a>> {
        match section {
            Section::Profile(index) => self.profiles.get_mut(*index),
            Section::SsoSession(index) => self.sso_sessions.get_mut(*index),
            Section::Other | Section::None => None,
        }
    }
}

enum Section {
    /// Index into `profiles`.
    Profile(usize),
    /// Index into `sso_sessions`.
    SsoSession(usize),
    /// `[services x]` and sections that are not profiles: read, not used.
    Other,
    /// Before the first section header.
    None,
}

/// Reads the text of an AWS config file (`[profile NAME]` sections; `[default]`).
pub fn parse(text: &str) -> ParsedConfig<'_> {
    // Room for every section at once: growing by doubling to 100,000 profiles leaves a third unused.
    let sections = text.as_bytes().iter().filter(|&&byte| byte == b'[').count();
    let mut parsed = ParsedConfig {
        profiles: Vec::with_capacity(sections),
        index_of: HashMap::with_capacity_and_hasher(sections, foldhash::fast::RandomState::default()),
        ..ParsedConfig::default()
    };
    let mut section = Section::None;
    // The key whose value continues on indented lines (or whose sub-properties follow).
    let mut open_key: Option<&str> = None;
    for (number, raw_line) in text.lines().enumerate() {
        let line_number = number + 1;
        let starts_indented = raw_line.starts_with([' ', '\t']);
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if starts_indented && open_key.is_some() {
            // A continuation or a nested sub-property (`s3 =\n  max_concurrent_requests = 10`):
            // none of the keys switchboard imports use either, so they are passed over.
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            open_key = None;
            section = match header_name(header) {
                Ok(Header::Profile(name)) => {
                    Section::Profile(add_section(&mut parsed.profiles, &mut parsed.index_of, name, line_number))
                }
                Ok(Header::SsoSession(name)) => Section::SsoSession(add_section(
                    &mut parsed.sso_sessions,
                    &mut parsed.session_index_of,
                    name,
                    line_number,
                )),
                Ok(Header::Other) => Section::Other,
                Err(message) => {
                    parsed.problems.push(SyntaxProblem { line: line_number, message });
                    Section::Other
                }
            };
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            let message = format!("\"{}\" is neither a [section] nor key = value", shorten(line));
            mark_broken(&mut parsed, &section, line_number, &message);
            parsed.problems.push(SyntaxProblem { line: line_number, message });
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            let message = format!("\"{}\" is not a key", shorten(key));
            mark_broken(&mut parsed, &section, line_number, &message);
            parsed.problems.push(SyntaxProblem { line: line_number, message });
            continue;
        }
        let value = strip_inline_comment(value.trim());
        open_key = Some(key);
        match section {
            Section::Profile(_) | Section::SsoSession(_) => {
                if let Some(profile) = parsed.section_mut(&section) {
                    profile.set(key, value, line_number);
                }
            }
            Section::Other => {}
            Section::None => parsed.problems.push(SyntaxProblem {
                line: line_number,
                message: format!("\"{key}\" is outside any [profile NAME] section"),
            }),
        }
    }
    parsed
}

/// The index of the section called `name`, added at `line` if it is the first of that name.
fn add_section<'a>(
    sections: &mut Vec<ConfigProfile<'a>>,
    index_of: &mut HashMap<&'a str, usize>,
    name: &'a str,
    line: usize,
) -> usize {
    *index_of.entry(name).or_insert_with(|| {
        sections.push(ConfigProfile { name, line, ..ConfigProfile::default() });
        sections.len() - 1
    })
}

enum Header<'a> {
    Profile(&'a str),
    SsoSession(&'a str),
    Other,
}

/// `profile NAME]` and `default]` are profiles, `sso-session NAME]` a session; `services NAME]`
/// is read and passed over.
fn header_name(header: &str) -> Result<Header<'_>, String> {
    let Some(inside) = header.trim_end().strip_suffix(']') else {
        return Err(format!("\"[{}\" has no closing ']'", shorten(header)));
    };
    let inside = inside.trim();
    if inside == "default" {
        return Ok(Header::Profile("default"));
    }
    if let Some(name) = inside.strip_prefix("profile").filter(|rest| rest.starts_with([' ', '\t'])) {
        let name = name.trim();
        return if name.is_empty() { Err("[profile] needs a name".to_owned()) } else { Ok(Header::Profile(name)) };
    }
    if inside == "sso-session" {
        return Err("[sso-session] needs a name: [sso-session NAME]".to_owned());
    }
    if let Some(name) = inside.strip_prefix("sso-session").filter(|rest| rest.starts_with([' ', '\t'])) {
        return Ok(Header::SsoSession(name.trim()));
    }
    if inside.starts_with("sso-session") || inside.starts_with("services") || inside.is_empty() {
        return Ok(Header::Other);
    }
    Err(format!("[{inside}] is not a profile: in the config file a profile is written [profile {inside}]"))
}

fn mark_broken(parsed: &mut ParsedConfig, section: &Section, line: usize, message: &str) {
    if let Some(profile) = parsed.section_mut(section)
        && profile.broken.is_none()
    {
        profile.broken = Some((line, message.to_owned()));
    }
}

/// The SDKs take `#` and `;` after whitespace as the start of a comment.
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if (*byte == b'#' || *byte == b';') && index > 0 && bytes[index - 1].is_ascii_whitespace() {
            return value[..index].trim_end();
        }
    }
    value
}

/// Keeps a quoted line short in a message (it may be long, never a secret: values are not quoted).
fn shorten(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() { format!("{short}…") } else { short }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_keys_and_lines() {
        let text = "# top\n[default]\nregion = eu-west-1\n\n[profile prod admin]\nrole_arn = arn:aws:iam::111111111111:role/Admin # why\nsource_profile=default\ns3 =\n  max_concurrent_requests = 10\n[sso-session corp]\nsso_region = us-east-1\n";
        let parsed = parse(text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let names: Vec<&str> = parsed.profiles.iter().map(|profile| profile.name).collect();
        assert_eq!(names, ["default", "prod admin"]);
        let prod = parsed.profile("prod admin").unwrap();
        assert_eq!(prod.line, 5);
        assert_eq!(prod.get("role_arn"), Some("arn:aws:iam::111111111111:role/Admin"));
        assert_eq!(prod.line_of("source_profile"), 7);
        assert_eq!(prod.get("max_concurrent_requests"), None, "a nested property is not a key of the profile");
        let corp = parsed.sso_session("corp").unwrap();
        assert_eq!((corp.line, corp.get("sso_region")), (10, Some("us-east-1")));
        assert!(parsed.profile("corp").is_none(), "a session is not a profile");
    }

    #[test]
    fn a_session_keeps_its_keys_and_a_broken_line_and_needs_a_name() {
        let parsed = parse("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\noops\n[sso-session]\n");
        let corp = parsed.sso_session("corp").unwrap();
        assert_eq!(corp.get("sso_start_url"), Some("https://corp.awsapps.com/start"));
        assert_eq!(corp.broken.as_ref().map(|(line, _)| *line), Some(3));
        let lines: Vec<usize> = parsed.problems.iter().map(|problem| problem.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(parsed.problems[1].message.contains("needs a name"), "{:?}", parsed.problems[1]);
    }

    #[test]
    fn a_line_that_is_not_a_key_breaks_its_profile_and_is_reported_with_its_line() {
        let parsed = parse("[profile a]\nregion = us-east-1\nthis is wrong\n[profile b]\nregion = us-east-1\n[bare]\n");
        assert_eq!(parsed.profile("a").unwrap().broken.as_ref().map(|(line, _)| *line), Some(3));
        assert!(parsed.profile("b").unwrap().broken.is_none());
        let lines: Vec<usize> = parsed.problems.iter().map(|problem| problem.line).collect();
        assert_eq!(lines, [3, 6]);
        assert!(parsed.problems[1].message.contains("[profile bare]"), "{:?}", parsed.problems[1]);
    }

    #[test]
    fn an_unclosed_header_is_a_problem() {
        let parsed = parse("[profile a\nregion = us-east-1\n");
        assert_eq!(parsed.problems.len(), 1);
        assert!(parsed.profiles.is_empty());
    }
}
