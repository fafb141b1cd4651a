//! Shell completions: the scripts `switchboard completions SHELL` writes, where bash, zsh and
//! fish load them from (the user's own directories, then the system's), or a line of the
//! shell's startup file that loads them. A script names the binary it calls back by its full
//! path: one naming a binary that is gone completes nothing.

use std::path::{Path, PathBuf};

use super::{CHECK_TIMEOUT, Finding, home_dir, on_thread, timed_out};

const CHECK: &str = "completions";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    const ALL: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

    fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }

    /// Where a script for this shell is loaded from, the user's directories first.
    fn script_places(self, home: &Path, data: &Path, config: &Path) -> Vec<PathBuf> {
        let within = |dirs: &[&str], file: &str| dirs.iter().map(|dir| Path::new(dir).join(file)).collect::<Vec<_>>();
        match self {
            Shell::Bash => [
                vec![data.join("bash-completion/completions/switchboard"), home.join(".bash_completion.d/switchboard")],
                within(
                    &[
                        "/usr/share/bash-completion/completions",
                        "/usr/local/share/bash-completion/completions",
                        "/etc/bash_completion.d",
                    ],
                    "switchboard",
                ),
            ]
            .concat(),
            Shell::Zsh => [
                vec![data.join("zsh/site-functions/_switchboard"), home.join(".zsh/completions/_switchboard")],
                within(
                    &[
                        "/usr/share/zsh/vendor-completions",
                        "/usr/share/zsh/site-functions",
                        "/usr/local/share/zsh/site-functions",
                    ],
                    "_switchboard",
                ),
            ]
            .concat(),
            Shell::Fish => [
                vec![
                    config.join("fish/completions/switchboard.fish"),
                    data.join("fish/vendor_completions.d/switchboard.fish"),
                ],
                within(
                    &[
                        "/usr/share/fish/vendor_completions.d",
                        "/usr/share/fish/completions",
                        "/usr/local/share/fish/vendor_completions.d",
                    ],
                    "switchboard.fish",
                ),
            ]
            .concat(),
        }
    }

    /// The startup file where `source <(switchboard completions zsh)` and the like go.
    fn startup_file(self, home: &Path, config: &Path) -> PathBuf {
        match self {
            Shell::Bash => home.join(".bashrc"),
            Shell::Zsh => home.join(".zshrc"),
            Shell::Fish => config.join("fish/config.fish"),
        }
    }

    fn install(self) -> &'static str {
        match self {
            Shell::Bash => "switchboard completions bash > ~/.local/share/bash-completion/completions/switchboard",
            Shell::Zsh => "switchboard completions zsh > \"${fpath[1]}/_switchboard\"",
            Shell::Fish => "switchboard completions fish > ~/.config/fish/completions/switchboard.fish",
        }
    }
}

/// How one shell gets its completion.
#[derive(Debug, PartialEq)]
enum Found {
    Script { path: PathBuf, calls: Option<PathBuf> },
    StartupLine(PathBuf),
    Nothing,
}

pub async fn check() -> Vec<Finding> {
    on_thread(CHECK_TIMEOUT, look).await.unwrap_or_else(|| {
        vec![Finding::warning(CHECK, timed_out(CHECK_TIMEOUT), "is the home directory on a network mount that hangs?")]
    })
}

fn look() -> Vec<Finding> {
    let Some(home) = home_dir() else {
        return vec![Finding::warning(CHECK, "not checked: no home directory", "set HOME")];
    };
    let from_env = |name: &str, default: PathBuf| {
        std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from).unwrap_or(default)
    };
    let data = from_env("XDG_DATA_HOME", home.join(".local/share"));
    let config = from_env("XDG_CONFIG_HOME", home.join(".config"));
    let login_shell = std::env::var("SHELL").ok().and_then(|shell| {
        let name = Path::new(&shell).file_name()?.to_str()?.to_owned();
        Shell::ALL.into_iter().find(|known| known.name() == name)
    });
    let mut findings = Vec::new();
    let mut found = Vec::new();
    for shell in Shell::ALL {
        let places = shell.script_places(&home, &data, &config);
        match find(places, shell.startup_file(&home, &config)) {
            Found::Script { path, calls: Some(gone) } if !gone.exists() => findings.push(Finding::warning(
                CHECK,
                format!("{}: {} calls {}, which is gone", shell.name(), path.display(), gone.display()),
                format!("write it again: {}", shell.install()),
            )),
            Found::Script { path, .. } => found.push(format!("{} ({})", shell.name(), path.display())),
            Found::StartupLine(file) => found.push(format!("{} (loaded by {})", shell.name(), file.display())),
            Found::Nothing if Some(shell) == login_shell => findings.push(Finding::warning(
                CHECK,
                format!("none for {}, your $SHELL", shell.name()),
                format!("{} (README: Completions and the man page)", shell.install()),
            )),
            Found::Nothing => {}
        }
    }
    if !found.is_empty() {
        findings.insert(0, Finding::ok(CHECK, format!("found for {}", found.join(", "))));
    } else if findings.is_empty() {
        findings.push(Finding::warning(
            CHECK,
            "none found for bash, zsh or fish",
            "`switchboard completions SHELL` prints the script; README: Completions and the man page",
        ));
    }
    findings
}

/// The first of `places` that holds a script, else `startup` when a line of it loads one.
fn find(places: Vec<PathBuf>, startup: PathBuf) -> Found {
    if let Some(path) = places.into_iter().find(|path| path.is_file()) {
        let calls = std::fs::read_to_string(&path).ok().and_then(|script| called_binary(&script));
        return Found::Script { path, calls };
    }
    let loads = std::fs::read_to_string(&startup).is_ok_and(|text| {
        text.lines().any(|line| {
            !line.trim_start().starts_with('#') && line.contains("completions") && line.contains("switchboard")
        })
    });
    if loads { Found::StartupLine(startup) } else { Found::Nothing }
}

/// The binary a completion script calls back: the word before ` -- ` on the line that runs
/// it (`"/usr/bin/switchboard" -- "${words[@]}"`, `_SWITCHBOARD_COMPLETE=fish /usr/bin/switchboard --`).
fn called_binary(script: &str) -> Option<PathBuf> {
    script.lines().find_map(|line| {
        let (before, _) = line.split_once(" -- ")?;
        let word = before.split_whitespace().last()?.trim_matches(['"', '\'', '(']);
        let path = Path::new(word);
        (path.is_absolute() && path.file_name()? == "switchboard").then(|| path.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_binary_a_script_calls_back() {
        let bash = "    COMPREPLY=( $( \\\n        _SWITCHBOARD_COMPLETE=\"bash\" \\\n        \"/opt/sb/switchboard\" -- \"${words[@]}\" \\\n";
        assert_eq!(called_binary(bash), Some(PathBuf::from("/opt/sb/switchboard")));
        let fish = "complete --command switchboard --arguments \"(_SWITCHBOARD_COMPLETE=fish /usr/bin/switchboard -- (commandline))\"";
        assert_eq!(called_binary(fish), Some(PathBuf::from("/usr/bin/switchboard")));
        assert_eq!(called_binary("complete -F _x switchboard"), None);
    }

    #[test]
    fn a_script_in_the_users_data_directory_is_found_before_a_startup_line() {
        let home = tempfile::tempdir().unwrap();
        let (data, config) = (home.path().join("data"), home.path().join("config"));
        let zshrc = Shell::Zsh.startup_file(home.path(), &config);
        std::fs::write(&zshrc, "# switchboard completions, some day\n").unwrap();
        let users_own = |shell: Shell| shell.script_places(home.path(), &data, &config).into_iter().take(2).collect();
        assert_eq!(find(users_own(Shell::Zsh), zshrc.clone()), Found::Nothing, "a comment loads nothing");
        std::fs::write(&zshrc, "source <(switchboard completions zsh)\n").unwrap();
        assert_eq!(find(users_own(Shell::Zsh), zshrc.clone()), Found::StartupLine(zshrc.clone()));
        let script = data.join("zsh/site-functions/_switchboard");
        std::fs::create_dir_all(script.parent().unwrap()).unwrap();
        std::fs::write(&script, "#compdef switchboard\n").unwrap();
        assert_eq!(find(users_own(Shell::Zsh), zshrc), Found::Script { path: script, calls: None });
    }
}
