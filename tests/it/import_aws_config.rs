//! `switchboard import aws-config` on a generated config of 2,000 profiles (chains, MFA,
//! external ids, SSO profiles of a missing session and credential_process profiles to skip):
//! the written inventory passes `check`, and every imported role's plan is the profile's. Bad
//! input is listed with lines. Identity Center profiles become sources, permission sets and
//! chains whose plans `check` prints.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use switchboard::domain::inventory::{Inventory, SourceCredentials};
use switchboard::domain::plan::{LayerKind, plan_for};

/// What the profile says, to compare with the plan the inventory makes of it.
struct Expected {
    arn: String,
    root: String,
    parent: Option<String>,
    mfa_serial: Option<String>,
    external_id: Option<String>,
    duration_seconds: u64,
    region: String,
}

struct Generated {
    text: String,
    roles: HashMap<String, Expected>,
    skipped: Vec<(String, usize)>,
}

fn generate(profiles: usize) -> Generated {
    let mut text = String::from("[default]\nregion = eu-west-1\n\n");
    let mut roles = HashMap::new();
    let mut skipped = Vec::new();
    let mut line = text.lines().count();
    let mut push = |text: &mut String, section: String| {
        let start = line + 1;
        line += section.lines().count();
        text.push_str(&section);
        start
    };
    for index in 0..profiles {
        let team = index / 10;
        let account = format!("{:012}", 100_000_000_000u64 + team as u64);
        let root = format!("keys-{}", team % 7);
        let name = format!("team{team}-role{}", index % 10);
        let serial = format!("arn:aws:iam::999999999999:mfa/operator-{}", team % 7);
        let mut section = format!("[profile {name}]\n");
        match index % 10 {
            8 if index % 50 == 8 => {
                section.push_str(
                    "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = us-east-1\n\n",
                );
                let start = push(&mut text, section);
                skipped.push((name, start));
                continue;
            }
            9 if index % 30 == 9 => {
                section.push_str("credential_process = /usr/local/bin/get-keys\n\n");
                let start = push(&mut text, section);
                skipped.push((name, start));
                continue;
            }
            _ => {}
        }
        let chained = index % 10 >= 5 && index % 10 < 8;
        let parent = chained.then(|| format!("team{team}-role{}", index % 10 - 5));
        let mfa = !chained && index % 3 == 0;
        let external_id = (index % 4 == 1).then(|| format!("ext-{index}"));
        let duration = match index % 5 {
            2 if !chained => 7200,
            3 => 1800,
            _ => 3600,
        };
        let region = if index % 6 == 0 { "us-west-2" } else { "eu-west-1" };
        let arn = format!("arn:aws:iam::{account}:role/path/Role{index}");
        let _ = writeln!(section, "role_arn = {arn}");
        let _ = writeln!(section, "source_profile = {}", parent.as_deref().unwrap_or(&root));
        if mfa {
            let _ = writeln!(section, "mfa_serial = {serial}");
        }
        if let Some(id) = &external_id {
            let _ = writeln!(section, "external_id = {id}  # from the partner");
        }
        if duration != 3600 {
            let _ = writeln!(section, "duration_seconds = {duration}");
        }
        if region != "eu-west-1" || index % 2 == 0 {
            let _ = writeln!(section, "region = {region}");
        }
        section.push_str("output = json\n\n");
        push(&mut text, section);
        let mfa_serial = if mfa { Some(serial) } else { None };
        roles.insert(
            name,
            Expected {
                arn,
                root,
                parent,
                mfa_serial,
                external_id,
                duration_seconds: duration,
                region: region.to_owned(),
            },
        );
    }
    Generated { text, roles, skipped }
}

fn switchboard(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("HOME", home)
        .env("SWITCHBOARD_CACHE", "memory")
        .env("SWITCHBOARD_AGENT", "off")
        .env_remove("SWITCHBOARD_INVENTORY")
        .env_remove("AWS_CONFIG_FILE")
        .output()
        .unwrap()
}

#[test]
fn two_thousand_profiles_import_into_an_inventory_check_accepts_with_the_profiles_plans() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(2000);
    let config = dir.path().join("config");
    std::fs::write(&config, &generated.text).unwrap();
    let out = dir.path().join("accounts.toml");
    let output = switchboard(
        dir.path(),
        &["import", "aws-config", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for (profile, line) in &generated.skipped {
        let listed = format!("{}:line {line}: profile {profile}:", config.display());
        assert!(stderr.contains(&listed), "{listed:?} is not in:\n{stderr}");
    }

    let check = switchboard(dir.path(), &["--inventory", out.to_str().unwrap(), "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));

    let inventory = Inventory::load(&out).unwrap();
    assert_eq!(inventory.roles().count(), generated.roles.len());
    let import = switchboard::cli::import::awsconfig::import(&generated.text, &config);
    // The import checks the inventory it builds in memory as the text is written: it must be
    // the inventory that reading the text gives.
    let from_text = Inventory::parse(&out, &import.toml).unwrap();
    let in_memory = Inventory::checked(&out, &import.toml, import.raw).unwrap();
    let parts = |inventory: &Inventory| {
        format!("{:#?}", (&inventory.defaults, &inventory.sources, inventory.accounts(), &inventory.ui))
    };
    assert_eq!(parts(&in_memory), parts(&from_text));
    let addresses = import.addresses;
    for (profile, expected) in &generated.roles {
        let address = &addresses[profile.as_str()];
        let role = inventory.find_role(address).unwrap();
        let plan = plan_for(&inventory, role).unwrap();
        let LayerKind::AssumeRole { arn, duration, mfa_device, external_id, region, chained, .. } = &plan.target().kind
        else {
            panic!("{profile}: the plan does not end with AssumeRole");
        };
        assert_eq!(arn, &expected.arn, "{profile}");
        assert_eq!(duration.as_secs(), expected.duration_seconds, "{profile}");
        assert_eq!(mfa_device, &expected.mfa_serial, "{profile}");
        assert_eq!(external_id, &expected.external_id, "{profile}");
        assert_eq!(region, &expected.region, "{profile}");
        assert_eq!(*chained, expected.parent.is_some(), "{profile}");
        if let Some(parent) = &expected.parent {
            let LayerKind::AssumeRole { role: parent_role, .. } = &plan.layers[plan.layers.len() - 2].kind else {
                panic!("{profile}: a chained role's parent layer is not AssumeRole");
            };
            assert_eq!(parent_role.to_string(), addresses[parent.as_str()], "{profile}");
        }
        let source = inventory.source(plan.source_name()).unwrap();
        assert!(
            matches!(&source.credentials, SourceCredentials::Profile { profile, .. } if *profile == expected.root),
            "{profile}: source {source:?}"
        );
    }
}

#[test]
fn an_existing_inventory_is_never_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = keys\n")
        .unwrap();
    let out = dir.path().join("accounts.toml");
    std::fs::write(&out, "# mine\n").unwrap();
    let args = ["import", "aws-config", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let refused = switchboard(dir.path(), &args);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# mine\n");

    let forced = switchboard(dir.path(), &[&args[..], &["--force"]].concat());
    assert_eq!(forced.status.code(), Some(0), "{}", String::from_utf8_lossy(&forced.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().contains("arn:aws:iam::111111111111:role/A"));
}

#[test]
fn syntax_errors_cycles_and_unknown_keys_are_listed_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let text = "\
[profile good]
role_arn = arn:aws:iam::111111111111:role/Good
source_profile = keys
favourite_colour = blue
[profile a]
role_arn = arn:aws:iam::222222222222:role/A
source_profile = b
[profile b]
role_arn = arn:aws:iam::222222222222:role/B
source_profile = a
[profile torn
role_arn = arn:aws:iam::333333333333:role/T
[profile c]
role_arn = arn:aws:iam::444444444444:role/C
not a key value line
";
    std::fs::write(&config, text).unwrap();
    let output = switchboard(dir.path(), &["import", "aws-config", "--config", config.to_str().unwrap(), "--out", "-"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let file = config.display().to_string();
    for expected in [
        format!("{file}:line 4: profile good: unknown key \"favourite_colour\""),
        format!("{file}:line 5: profile a: source_profile cycle"),
        format!("{file}:line 8: profile b: source_profile cycle"),
        format!("{file}:line 11: \"[profile torn\" has no closing ']'"),
        format!("{file}:line 13: profile c: line 15 of the profile could not be read"),
        format!("{file}:line 15: \"not a key value line\" is neither"),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} is not in:\n{stderr}");
    }
    assert!(stderr.contains("were not imported"), "{stderr}");
    assert!(stdout.contains("role/Good") && !stdout.contains("role/A\""), "{stdout}");
    assert!(stdout.contains("# Not imported (5):"), "the inventory says it is partial:\n{stdout}");
}

#[test]
fn identity_center_profiles_import_into_sources_permission_sets_and_chains_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let text = "\
[default]
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile payments-prod-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess

[profile data-dev-read]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnlyAccess
region = us-west-2

[profile legacy-ops]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 333333333333
sso_role_name = PowerUserAccess

[profile payments-prod-deploy]
role_arn = arn:aws:iam::111111111111:role/Deploy
source_profile = payments-prod-admin

[profile contrary]
sso_session = corp
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = ViewOnlyAccess
";
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("accounts.toml");
    let output = switchboard(
        dir.path(),
        &["import", "aws-config", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let file = config.display();
    let contrary = format!(
        "{file}:line 30: profile contrary: sso_region = us-east-1 (line 32) is not the sso_region of [sso-session corp]"
    );
    assert!(stderr.contains(&contrary), "{contrary:?} is not in:\n{stderr}");
    assert!(stderr.contains("imported 4 roles in 3 accounts from 2 sources"), "{stderr}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(!written.contains("sso_scopes"), "the default scope is not written:\n{written}");

    let check = switchboard(dir.path(), &["--inventory", out.to_str().unwrap(), "check"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(report.contains("valid (2 sources, 3 accounts, 4 roles)"), "{report}");
    // Each plan, as `check` prints it: the role's line, then its numbered layers.
    let plan = |address: &str| -> Vec<String> {
        let start =
            report.find(&format!("\n{address}  ")).unwrap_or_else(|| panic!("no plan for {address}:\n{report}"));
        report[start + 1..]
            .lines()
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .map(|line| line.trim().to_owned())
            .collect()
    };
    let deploy = plan("payments-prod/deploy");
    let layers: Vec<&str> = deploy.iter().map(|line| line.split_once(". ").unwrap().1).collect();
    assert_eq!(layers.len(), 3, "{deploy:#?}");
    assert!(layers[0].starts_with("Identity Center sign-in") && layers[0].contains("https://corp.awsapps.com/start"));
    assert!(
        layers[1].starts_with("permission set") && layers[1].contains("AdministratorAccess in account 111111111111")
    );
    assert!(layers[2].starts_with("chained role") && layers[2].contains("arn:aws:iam::111111111111:role/Deploy"));
    let read = plan("data-dev/read");
    assert!(read[0].contains("Identity Center sign-in") && read[1].contains("ReadOnlyAccess in account 222222222222"));
    let legacy = plan("legacy/ops");
    assert!(legacy[0].contains("https://legacy.awsapps.com/start (us-east-1)"), "{legacy:#?}");
    assert!(legacy[1].contains("PowerUserAccess") && legacy[1].contains("source legacy"), "{legacy:#?}");

    let inventory = Inventory::load(&out).unwrap();
    assert!(
        matches!(&inventory.source("corp").unwrap().credentials, SourceCredentials::Sso(sso) if sso.region == "eu-west-1")
    );
    assert_eq!(inventory.find_role("data-dev/read").unwrap().region, "us-west-2");
}
