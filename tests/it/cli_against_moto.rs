//! The CLI end to end against a real STS emulator (moto): sessions land in the right
//! accounts, one MFA code serves many roles, and `env`, `exec` and `credential-process`
//! hand working credentials to real clients.

use std::process::Stdio;

use crate::support::{Sandbox, assert_success, caller_account, exports, python_path, stderr, stdout};

#[test]
fn roles_in_three_accounts_each_land_in_their_own_account() {
    let sandbox = Sandbox::new();
    for (role, account) in
        [("prod/admin", "111111111111"), ("staging/admin", "222222222222"), ("shared/admin", "333333333333")]
    {
        let vars = exports(&sandbox.run(&["env", role, "--format", "json", "--mfa-code", "123456"]));
        let (landed, arn) = caller_account(&sandbox.moto.endpoint, &vars);
        assert_eq!(landed, account, "{role} landed in {arn}");
        assert!(arn.contains(":assumed-role/Admin/switchboard-"), "{arn}");
        assert_eq!(vars["AWS_ENDPOINT_URL"], sandbox.moto.endpoint.as_str());
    }
}

#[test]
fn a_chained_role_is_assumed_from_its_parent_session() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["-v", "env", "staging/deploy", "--format", "json", "--mfa-code", "123456"]);
    let vars = exports(&output);
    let (landed, arn) = caller_account(&sandbox.moto.endpoint, &vars);
    assert_eq!(landed, "222222222222");
    assert!(arn.contains("assumed-role/Deploy/"), "{arn}");
    let log = stderr(&output);
    let parent =
        log.find("renewing: AssumeRole into arn:aws:iam::333333333333:role/Admin").unwrap_or_else(|| panic!("{log}"));
    let chained =
        log.find("renewing: AssumeRole into arn:aws:iam::222222222222:role/Deploy").unwrap_or_else(|| panic!("{log}"));
    assert!(parent < chained, "the parent role is assumed first:\n{log}");
    assert!(log.contains("a chained role, AWS caps this at 1h"), "{log}");
}

#[test]
fn one_mfa_code_unlocks_three_roles_through_one_session_token() {
    let sandbox = Sandbox::new();
    // --mfa-code gives exactly one code: a second prompt would fail the command.
    let output = sandbox.run(&["-v", "refresh", "prod/admin", "staging/admin", "shared/admin", "--mfa-code", "123456"]);
    assert_success(&output);
    let log = stderr(&output);
    assert_eq!(log.matches("renewing: GetSessionToken").count(), 1, "{log}");
    assert_eq!(log.matches("renewing: AssumeRole").count(), 3, "{log}");
    let printed = stdout(&output);
    for role in ["prod/admin", "staging/admin", "shared/admin"] {
        assert!(printed.contains(&format!("{role}: valid")), "{printed}");
    }
}

fn refresh_with_codes_on_stdin(sandbox: &Sandbox, roles: &[&str], codes: &str) -> std::process::Output {
    let mut args = vec!["refresh"];
    args.extend_from_slice(roles);
    args.extend(["--mfa-code", "-"]);
    let mut command = sandbox.command(&args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(codes.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn without_a_session_token_each_mfa_role_needs_its_own_code() {
    let sandbox = Sandbox::new();
    let output =
        refresh_with_codes_on_stdin(&sandbox, &["prod/break-glass", "staging/break-glass"], "123456\n654321\n");
    assert_success(&output);
    assert_eq!(stdout(&output).matches(": valid").count(), 2, "{}", stdout(&output));
}

#[test]
fn a_code_already_sent_is_never_sent_again() {
    let sandbox = Sandbox::new();
    let output =
        refresh_with_codes_on_stdin(&sandbox, &["prod/break-glass", "staging/break-glass"], "123456\n123456\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output).matches(": valid").count(), 1, "the first role got the code: {}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message
            .contains("that MFA code for arn:aws:iam::123456789012:mfa/direct was already used; enter the next code"),
        "{message}"
    );
}

#[test]
fn exec_runs_the_command_in_a_clean_aws_environment_and_passes_its_exit_code() {
    let sandbox = Sandbox::new();
    let script = "import boto3, os, sys\n\
                  print(boto3.client('sts').get_caller_identity()['Account'])\n\
                  print('profile=' + os.environ.get('AWS_PROFILE', 'unset'))\n\
                  print('role=' + os.environ['SWITCHBOARD_ROLE'])\n\
                  sys.exit(7)";
    let python = python_path();
    let output = sandbox
        .command(&["exec", "staging/admin", "--mfa-code", "123456", "--", python.to_str().unwrap(), "-c", script])
        .env("AWS_PROFILE", "stale-profile")
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let printed = stdout(&output);
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        ["222222222222", "profile=unset", "role=staging/admin"],
        "{}",
        stderr(&output)
    );
}

#[test]
fn exec_refuses_to_nest_unless_forced() {
    let sandbox = Sandbox::new();
    let nested =
        sandbox.command(&["exec", "prod/viewer", "--", "true"]).env("SWITCHBOARD_ROLE", "prod/admin").output().unwrap();
    assert_eq!(nested.status.code(), Some(2));
    assert!(stderr(&nested).contains("already inside `switchboard exec` for prod/admin"), "{}", stderr(&nested));
    let forced = sandbox
        .command(&["exec", "--force", "prod/viewer", "--", "true"])
        .env("SWITCHBOARD_ROLE", "prod/admin")
        .output()
        .unwrap();
    assert_success(&forced);
}

#[test]
fn env_output_evaluated_by_bash_gives_working_credentials() {
    let sandbox = Sandbox::new();
    let binary = env!("CARGO_BIN_EXE_switchboard");
    let script = format!(
        "export AWS_PROFILE=stale; eval \"$('{binary}' env prod/viewer --format bash)\" && \
         echo \"profile=${{AWS_PROFILE:-unset}}\" && \
         '{}' -c \"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])\"",
        python_path().display()
    );
    let command = sandbox.command(&[]);
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .envs(command.get_envs().filter_map(|(name, value)| value.map(|value| (name.to_owned(), value.to_owned()))))
        .env("HOME", sandbox.home.path())
        .output()
        .unwrap();
    assert_success(&output);
    let printed = stdout(&output);
    assert!(printed.contains("profile=unset"), "{printed}");
    assert!(printed.contains("arn:aws:sts::111111111111:assumed-role/Viewer/"), "{printed}");
}

#[test]
fn credential_process_output_is_used_by_botocore() {
    let sandbox = Sandbox::new();
    let config = sandbox.home.path().join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile via-switchboard]\ncredential_process = {} --inventory {} credential-process prod/viewer\nregion = eu-central-1\nendpoint_url = {}\n",
            env!("CARGO_BIN_EXE_switchboard"),
            sandbox.inventory().display(),
            sandbox.moto.endpoint
        ),
    )
    .unwrap();
    let script = "import botocore.session\n\
                  session = botocore.session.Session(profile='via-switchboard')\n\
                  print(session.create_client('sts').get_caller_identity()['Arn'])";
    let output = std::process::Command::new(python_path())
        .args(["-c", script])
        .env_clear()
        .env("HOME", sandbox.home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", sandbox.home.path().join("none"))
        .env("SWITCHBOARD_CACHE", "memory")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_success(&output);
    assert!(stdout(&output).contains("arn:aws:sts::111111111111:assumed-role/Viewer/"), "{}", stdout(&output));
}

#[test]
fn credential_process_prints_the_spec_json_and_says_how_to_get_an_mfa_session_without_a_terminal() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["credential-process", "prod/viewer"]);
    assert_success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"] {
        assert!(json[field].as_str().is_some_and(|value| !value.is_empty()), "{field} in {json}");
    }
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));

    let needs_code = sandbox.run(&["credential-process", "prod/admin"]);
    assert_eq!(needs_code.status.code(), Some(1));
    let message = stderr(&needs_code);
    assert!(message.contains("no terminal to ask on"), "{message}");
    assert!(message.contains("switchboard refresh prod/admin"), "{message}");
    assert!(needs_code.stdout.is_empty(), "nothing a client could mistake for credentials");
}

#[test]
fn inventory_mistakes_exit_2_with_file_line_and_key() {
    let sandbox = Sandbox::new();
    let broken =
        std::fs::read_to_string(sandbox.inventory()).unwrap().replace("id = \"222222222222\"", "id = \"2222\"");
    std::fs::write(sandbox.inventory(), broken).unwrap();
    let output = sandbox.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&format!("{}:", sandbox.inventory().display())), "{message}");
    assert!(message.contains("accounts[staging].id: \"2222\" is not an AWS account id"), "{message}");
}

#[test]
fn check_explains_every_plan_and_list_shows_states() {
    let sandbox = Sandbox::new();
    let check = sandbox.run(&["check"]);
    assert_success(&check);
    let plans = stdout(&check);
    assert!(plans.contains("staging/deploy"), "{plans}");
    assert!(plans.contains("chained role  AssumeRole into arn:aws:iam::222222222222:role/Deploy"), "{plans}");
    assert!(plans.contains("MFA session   GetSessionToken with MFA device"), "{plans}");

    let unknown = sandbox.run(&["env", "prod/nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("its roles: admin, viewer, break-glass"), "{}", stderr(&unknown));

    let list = sandbox.run(&["list", "--json"]);
    assert_success(&list);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 8);
    assert!(rows.as_array().unwrap().iter().all(|row| row["state"] == "none"), "a fresh memory cache has no sessions");
    assert!(stderr(&list).contains("session cache: memory only"), "the fallback is announced: {}", stderr(&list));
}

#[test]
fn bad_key_bindings_stop_the_screen_before_it_opens_with_file_line_and_key() {
    let sandbox = Sandbox::new();
    let mut inventory = std::fs::read_to_string(sandbox.inventory()).unwrap();
    inventory.push_str("\n[ui]\nexport_format = \"fish\"\n\n[ui.keys]\nrefresh = [\"f5\"]\nfly = [\"x\"]\n");
    std::fs::write(sandbox.inventory(), &inventory).unwrap();
    let line = inventory.lines().position(|text| text.starts_with("fly")).unwrap() + 1;
    let output = sandbox.run(&[]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&format!("accounts.toml:{line}:7: ui.keys.fly: no command \"fly\"")), "{message}");
}
