//! Completion scripts loaded into a real bash and fish complete role addresses from the
//! inventory; the man page renders with `man -l`. A shell or `man` that is missing fails the
//! test (scripts/test.sh installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::prerequisites::require_tool;

const INVENTORY: &str = r#"
[sources.main]
profile = "default"

[[accounts]]
name = "prod-eu"
id = "111111111111"
environment = "production"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "main"
  [[accounts.roles]]
  name = "readonly"
  role_name = "ReadOnly"
  source = "main"

[[accounts]]
name = "dev"
id = "222222222222"
  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "main"
"#;

fn switchboard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.env_remove("SWITCHBOARD_INVENTORY").env_remove("_SWITCHBOARD_COMPLETE");
    command
}

/// A home with an inventory, and the completion script of `shell` written into it.
fn setup(shell: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("accounts.toml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let output = switchboard().args(["completions", shell]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let script = dir.path().join(format!("switchboard.{shell}"));
    std::fs::write(&script, &output.stdout).unwrap();
    (dir, inventory, script)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn bin_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_switchboard")).parent().unwrap()
}

#[test]
fn bash_loads_the_script_and_completes_role_addresses_from_the_inventory() {
    let (dir, inventory, script) = setup("bash");
    // What bash does on Tab: set COMP_WORDS/COMP_CWORD and call the registered function.
    let program = format!(
        r#"source '{}' || exit 9
complete -p switchboard >/dev/null || exit 8
COMP_WORDS=(switchboard --inventory '{}' env pro)
COMP_CWORD=4
_clap_complete_switchboard switchboard pro --inventory
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        inventory.display()
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("HOME", dir.path())
        .env_remove("SWITCHBOARD_INVENTORY")
        .output()
        .unwrap();
    assert!(output.status.success(), "bash: {:?} {}", output.status, String::from_utf8_lossy(&output.stderr));
    assert_eq!(lines(&output.stdout), ["prod-eu/admin", "prod-eu/readonly"]);
}

#[test]
fn bash_completes_roles_of_the_inventory_in_the_environment_for_fleet_patterns() {
    let (dir, inventory, script) = setup("bash");
    let program = format!(
        r#"source '{}' || exit 9
COMP_WORDS=(switchboard run dev)
COMP_CWORD=2
_clap_complete_switchboard switchboard dev run
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display()
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("HOME", dir.path())
        .env("SWITCHBOARD_INVENTORY", &inventory)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(lines(&output.stdout), ["dev/admin"]);
}

#[test]
fn fish_loads_the_script_and_completes_a_role_address() {
    require_tool("fish", "fish");
    let (dir, inventory, script) = setup("fish");
    let program = format!(
        "source '{}'; or exit 9; complete -C 'switchboard --inventory {} whoami prod-eu/r'",
        script.display(),
        inventory.display()
    );
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("fish")
        .args(["--no-config", "-c", &program])
        .env("HOME", dir.path())
        .env("PATH", path)
        .env_remove("SWITCHBOARD_INVENTORY")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let completed: Vec<String> =
        lines(&output.stdout).iter().map(|line| line.split('\t').next().unwrap_or_default().to_owned()).collect();
    assert_eq!(completed, ["prod-eu/readonly"], "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn zsh_parses_the_script_and_its_completer_gives_role_addresses() {
    require_tool("zsh", "zsh");
    let (dir, inventory, script) = setup("zsh");
    let parsed = Command::new("zsh").arg("-n").arg(&script).output().unwrap();
    assert!(parsed.status.success(), "zsh -n: {}", String::from_utf8_lossy(&parsed.stderr));
    // Outside an interactive shell the completion system has no widgets: its two entry points
    // the script uses are stubbed to print what they are given. The completer itself runs as
    // on Tab: `words` and `CURRENT` as zsh sets them, the binary called back.
    let program = format!(
        r#"compdef() {{ print -r -- "compdef $*" }}
_describe() {{ local -a values; values=("${{(@P)3}}"); print -rl -- "${{values[@]}}" }}
source '{}' || exit 9
words=(switchboard --inventory '{}' env pro)
CURRENT=5
_clap_dynamic_completer_switchboard"#,
        script.display(),
        inventory.display()
    );
    let output = Command::new("zsh")
        .args(["-f", "-c", &program])
        .env("HOME", dir.path())
        .env_remove("SWITCHBOARD_INVENTORY")
        .output()
        .unwrap();
    assert!(output.status.success(), "zsh: {:?} {}", output.status, String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        lines(&output.stdout),
        [
            "compdef _clap_dynamic_completer_switchboard switchboard",
            "prod-eu/admin:111111111111 (production)",
            "prod-eu/readonly:111111111111 (production)"
        ]
    );
}

/// No PowerShell here (installing it is heavy): the script is checked for what makes it work,
/// and the call it makes is made, as PowerShell would make it, to the binary it names.
#[test]
fn the_powershell_script_registers_a_completer_that_calls_this_binary_back() {
    let (dir, inventory, script) = setup("powershell");
    let text = std::fs::read_to_string(&script).unwrap();
    let binary = env!("CARGO_BIN_EXE_switchboard");
    for needed in [
        "Register-ArgumentCompleter -Native -CommandName switchboard -ScriptBlock {",
        "$env:_SWITCHBOARD_COMPLETE = \"powershell\";",
        &format!("& {binary} -- $args"),
        "[System.Management.Automation.CompletionResult]::new($cmd, $cmd, 'ParameterValue', $help)",
    ] {
        assert!(text.contains(needed), "{needed:?} is not in the script:\n{text}");
    }
    for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
        assert_eq!(text.matches(open).count(), text.matches(close).count(), "unbalanced {open}{close}:\n{text}");
    }
    assert_eq!(text.matches('"').count() % 2, 0, "an unclosed string:\n{text}");
    // What the script runs on Tab: the line up to the cursor, after `--`, each candidate a
    // line of value, tab, help.
    let output = Command::new(binary)
        .args(["--", "switchboard", "--inventory", inventory.to_str().unwrap(), "env", "pro"])
        .env("_SWITCHBOARD_COMPLETE", "powershell")
        .env("HOME", dir.path())
        .env_remove("SWITCHBOARD_INVENTORY")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        lines(&output.stdout),
        ["prod-eu/admin\t111111111111 (production)", "prod-eu/readonly\t111111111111 (production)"]
    );
}

#[test]
fn the_man_page_renders_with_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let output = switchboard().arg("man").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let page = dir.path().join("switchboard.1");
    std::fs::write(&page, &output.stdout).unwrap();
    require_tool("man", "man-db");
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(rendered.status.success(), "man -l: {}", String::from_utf8_lossy(&rendered.stderr));
    let text = String::from_utf8_lossy(&rendered.stdout).into_owned();
    for expected in ["switchboard", "SYNOPSIS", "completions", "import", "credential-process"] {
        assert!(text.contains(expected), "{expected:?} is not in the rendered page:\n{text}");
    }
    assert!(!text.contains(".TH"), "roff was rendered, not printed raw");
}
