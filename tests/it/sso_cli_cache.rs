//! Sharing a sign-in with the AWS CLI: a token in `~/.aws/sso/cache/<sha1 of the session
//! name>.json`, in the CLI's format, is used without a sign-in; with
//! `sso_share_with_aws_cli = true` switchboard writes that file (0600, the CLI's fields); a
//! file that is not JSON or is for another start URL is passed over with a note.

use std::process::Command;

use crate::support::fake_sso::{START_URL, SsoSandbox};
use crate::support::{assert_success, stderr};

fn share(sso: &SsoSandbox) {
    let inventory = std::fs::read_to_string(sso.sandbox.inventory()).unwrap();
    let shared = inventory.replacen(
        "sso_region = \"eu-west-1\"\n",
        "sso_region = \"eu-west-1\"\nsso_share_with_aws_cli = true\n",
        1,
    );
    assert_ne!(shared, inventory);
    std::fs::write(sso.sandbox.inventory(), shared).unwrap();
}

fn cache_file(sso: &SsoSandbox) -> std::path::PathBuf {
    // sha1("corp"), the source's name as the session name.
    let digest = Command::new(crate::support::python_path())
        .args(["-c", "import hashlib; print(hashlib.sha1(b'corp').hexdigest())"])
        .output()
        .unwrap();
    let name = String::from_utf8(digest.stdout).unwrap();
    sso.sandbox.home.path().join(".aws/sso/cache").join(format!("{}.json", name.trim()))
}

/// A process with a session store of its own (memory): it has no token of switchboard's.
fn alone(sso: &SsoSandbox, args: &[&str]) -> std::process::Output {
    sso.sandbox
        .command(args)
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &sso.sso.endpoint)
        .env("AWS_ENDPOINT_URL_SSO", &sso.sso.endpoint)
        .env_remove("BROWSER")
        .output()
        .unwrap()
}

#[test]
fn a_shared_token_is_written_as_the_aws_cli_reads_it_and_used_without_a_sign_in() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    share(&sso);
    assert_success(&sso.run(&["login", "corp"]));
    let path = cache_file(&sso);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let entry: serde_json::Value = serde_json::from_str(&text).unwrap();
    for field in [
        "accessToken",
        "expiresAt",
        "refreshToken",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "region",
        "startUrl",
    ] {
        assert!(entry.get(field).is_some(), "{field} missing");
    }
    assert_eq!(entry["startUrl"], START_URL);
    assert!(entry["expiresAt"].as_str().unwrap().ends_with('Z'));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

    let tokens = sso.sso.count("tokens_issued");
    let used = alone(&sso, &["env", "payments/admin", "--format", "json"]);
    assert_success(&used);
    assert_eq!(sso.sso.count("tokens_issued"), tokens, "no sign-in: the AWS CLI's token served");
    assert_eq!(sso.opened().len(), 1);
}

#[test]
fn a_cache_file_that_is_broken_or_for_another_start_url_is_passed_over_with_a_note() {
    let sso = SsoSandbox::new(&["--auto-approve"]);
    let path = cache_file(&sso);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    for (content, note) in [
        ("{\"accessToken\": \"abc\", \"expiresAt\": ", "not a token entry"),
        (
            "{\"accessToken\":\"abc\",\"expiresAt\":\"2099-01-01T00:00:00Z\",\"startUrl\":\"https://other.awsapps.com/start\"}",
            "another start URL",
        ),
    ] {
        std::fs::write(&path, content).unwrap();
        let mut command = sso.sandbox.command(&["login", "corp"]);
        command
            .env("AWS_ENDPOINT_URL_SSO_OIDC", &sso.sso.endpoint)
            .env("AWS_ENDPOINT_URL_SSO", &sso.sso.endpoint)
            .env("BROWSER", sso.sandbox.home.path().join("browser"));
        let output = command.output().unwrap();
        assert_success(&output);
        assert!(stderr(&output).contains(note), "{}", stderr(&output));
        assert!(stderr(&output).contains("signed in to"), "a sign-in instead: {}", stderr(&output));
    }
}
