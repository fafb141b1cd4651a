//! Every profile of the AWS config file (`$AWS_CONFIG_FILE`, else `~/.aws/config`) whose
//! `credential_process` runs switchboard: the role it names must be in the inventory that
//! command would load (its `--inventory`, else the usual one), and the program must be there.
//! The file is read with `import aws-config`'s reader; a file it cannot read whole is a
//! warning naming the line, never a failure of the doctor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CHECK_TIMEOUT, Finding, home_dir, on_thread, timed_out};
use crate::cli::import::awsconfig::ini;
use crate::domain::inventory::{self, Inventory};

const CHECK: &str = "aws config";

pub async fn check(inventory: Option<Arc<Inventory>>) -> Vec<Finding> {
    let Some(config) = config_path() else {
        return vec![Finding::warning(CHECK, "no home directory and no AWS_CONFIG_FILE", "set HOME")];
    };
    let shown = config.display().to_string();
    on_thread(CHECK_TIMEOUT, move || check_file(&config, inventory)).await.unwrap_or_else(|| {
        vec![Finding::warning(
            CHECK,
            format!("{shown}: {} reading it or the inventories it names", timed_out(CHECK_TIMEOUT)),
            "is it on a network mount that hangs?",
        )]
    })
}

fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AWS_CONFIG_FILE").filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(path));
    }
    Some(home_dir()?.join(".aws").join("config"))
}

fn check_file(config: &Path, inventory: Option<Arc<Inventory>>) -> Vec<Finding> {
    let shown = config.display();
    let bytes = match std::fs::read(config) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return vec![Finding::ok(
                CHECK,
                format!("no AWS config at {shown}: no credential_process profile to check"),
            )];
        }
        Err(error) => {
            return vec![Finding::warning(CHECK, format!("cannot read {shown}: {error}"), "check its owner and mode")];
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return vec![Finding::warning(
            CHECK,
            format!("{shown} is not UTF-8 text"),
            "the AWS CLI cannot read it either: save it as UTF-8",
        )];
    };
    let parsed = ini::parse(&text);
    let mut findings = Vec::new();
    if let Some(first) = parsed.problems.first() {
        let more = match parsed.problems.len() {
            1 => String::new(),
            count => format!(" (and {} more)", count - 1),
        };
        findings.push(Finding::warning(
            CHECK,
            format!("{shown}:{}: {}{more}", first.line, first.message),
            "the AWS CLI may refuse the file too: fix that line",
        ));
    }
    let mut inventories = Inventories::new(inventory);
    let mut runs_switchboard = 0;
    for profile in &parsed.profiles {
        let Some(command) = profile.get("credential_process") else { continue };
        let Some(call) = SwitchboardCall::parse(command) else { continue };
        runs_switchboard += 1;
        let line = profile.line_of("credential_process");
        let place = format!("profile {} ({shown}:{line})", profile.name);
        findings.push(judge(&call, &place, &mut inventories));
    }
    if runs_switchboard == 0 {
        findings.push(Finding::ok(CHECK, format!("{shown}: no credential_process profile runs switchboard")));
    }
    findings
}

fn judge(call: &SwitchboardCall, place: &str, inventories: &mut Inventories) -> Finding {
    if let Err(why) = call.program_found() {
        return Finding::problem(CHECK, format!("{place}: {why}"), "put the full path of switchboard there");
    }
    let Some(role) = &call.role else {
        return Finding::problem(
            CHECK,
            format!("{place}: `credential-process` without a role"),
            "name the role: `switchboard credential-process ACCOUNT/ROLE`",
        );
    };
    let inventory = match inventories.get(call.inventory.as_deref()) {
        Ok(inventory) => inventory,
        Err(why) => {
            return Finding::warning(
                CHECK,
                format!("{place}: role {role} not checked: {why}"),
                "fix that inventory first",
            );
        }
    };
    match inventory.find_role(role) {
        Ok(_) => Finding::ok(CHECK, format!("{place}: {role} is in {}", inventory.path.display())),
        Err(why) => Finding::problem(
            CHECK,
            format!("{place}: credential_process names {role}, which is not in the inventory: {why}"),
            "name a role of `switchboard list` there, or add the role to the inventory",
        ),
    }
}

/// The inventories the profiles name, each loaded once (and the doctor's own, already loaded).
struct Inventories {
    loaded: HashMap<PathBuf, Result<Arc<Inventory>, String>>,
}

impl Inventories {
    fn new(own: Option<Arc<Inventory>>) -> Self {
        let mut loaded = HashMap::new();
        if let Some(own) = own {
            loaded.insert(own.path.clone(), Ok(own));
        }
        Self { loaded }
    }

    /// `explicit`: the profile's `--inventory`; else where the command would look (the same
    /// environment as the doctor's, so `$SWITCHBOARD_INVENTORY` counts, `--inventory` does not).
    fn get(&mut self, explicit: Option<&Path>) -> Result<Arc<Inventory>, String> {
        let path = inventory::locate(explicit).map_err(|error| error.to_string())?;
        self.loaded
            .entry(path.clone())
            .or_insert_with(|| Inventory::load(&path).map(Arc::new).map_err(|error| first_line(&error.to_string())))
            .clone()
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// A `credential_process` command line that runs switchboard's `credential-process`.
#[derive(Debug, PartialEq)]
struct SwitchboardCall {
    program: String,
    role: Option<String>,
    inventory: Option<PathBuf>,
}

impl SwitchboardCall {
    /// `None` for a command that is not `switchboard … credential-process …`.
    fn parse(command: &str) -> Option<SwitchboardCall> {
        let words = split_words(command);
        let (program, rest) = words.split_first()?;
        let name = Path::new(program).file_name()?.to_str()?;
        if name != "switchboard" {
            return None;
        }
        let mut inventory = None;
        let mut positional = Vec::new();
        let mut words = rest.iter();
        while let Some(word) = words.next() {
            if let Some(path) = word.strip_prefix("--inventory=") {
                inventory = Some(PathBuf::from(path));
            } else if word == "--inventory" {
                inventory = words.next().map(PathBuf::from);
            } else if word == "--mfa-code" {
                words.next();
            } else if !word.starts_with('-') {
                positional.push(word.clone());
            }
        }
        if positional.first().map(String::as_str) != Some("credential-process") {
            return None;
        }
        Some(SwitchboardCall { program: program.clone(), role: positional.get(1).cloned(), inventory })
    }

    /// A path must name a program; a bare name must be on `$PATH` (the AWS CLI looks there).
    fn program_found(&self) -> Result<(), String> {
        let program = Path::new(&self.program);
        if program.components().count() > 1 {
            return if program.is_file() { Ok(()) } else { Err(format!("{} does not exist", self.program)) };
        }
        let on_path = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
        if on_path { Ok(()) } else { Err(format!("`{}` is not on $PATH", self.program)) }
    }
}

/// The words of a command line as the AWS CLI splits `credential_process` on Unix (POSIX
/// shell rules without expansions): single quotes, double quotes with `\` escapes, `\` outside.
fn split_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut characters = command.chars();
    while let Some(character) = characters.next() {
        match character {
            ' ' | '\t' | '\n' => words.extend(word.take()),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                word.extend(characters.by_ref().take_while(|&next| next != '\''));
            }
            '"' => {
                let word = word.get_or_insert_with(String::new);
                while let Some(next) = characters.next() {
                    match next {
                        '"' => break,
                        '\\' => word.extend(characters.next()),
                        other => word.push(other),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(characters.next()),
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_role_and_inventory_of_a_switchboard_credential_process() {
        let call = SwitchboardCall::parse(
            "/opt/bin/switchboard --inventory '/home/me/my inv.toml' credential-process prod/admin",
        )
        .unwrap();
        assert_eq!(call.program, "/opt/bin/switchboard");
        assert_eq!(call.role.as_deref(), Some("prod/admin"));
        assert_eq!(call.inventory, Some(PathBuf::from("/home/me/my inv.toml")));
        let call = SwitchboardCall::parse("switchboard credential-process --inventory=a.toml dev/ro").unwrap();
        assert_eq!((call.role.as_deref(), call.inventory), (Some("dev/ro"), Some(PathBuf::from("a.toml"))));
        assert_eq!(SwitchboardCall::parse("switchboard credential-process").unwrap().role, None);
        assert_eq!(SwitchboardCall::parse("aws-vault exec prod --json"), None);
        assert_eq!(SwitchboardCall::parse("switchboard env prod/admin"), None);
        assert_eq!(SwitchboardCall::parse(""), None);
    }

    #[test]
    fn splits_words_as_a_posix_shell_would_without_expanding() {
        assert_eq!(split_words(r#"a "b c" 'd e' f\ g "h\"i""#), ["a", "b c", "d e", "f g", "h\"i"]);
        assert_eq!(split_words("  "), Vec::<String>::new());
    }
}
