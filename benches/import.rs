//! `switchboard import aws-config` at 10,000 profiles: reading the config and building the
//! inventory text, then the validation `import` runs before it writes. The goal is
//! "well under a second" (Granted takes 10-20 s on a 7,000-line config).
//!
//! `cargo bench --bench import`

// A benchmark whose setup fails should stop loudly, as a test does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::cli::import::awsconfig::import;
use switchboard::domain::inventory::Inventory;

const PROFILES: usize = 10_000;

/// Teams of 10 profiles: 5 roles from keys (some with MFA and external ids), 3 chained, 2 SSO.
fn config() -> String {
    let mut text = String::from("[default]\nregion = eu-west-1\n\n");
    for index in 0..PROFILES {
        let team = index / 10;
        let _ = writeln!(text, "[profile team{team}-role{}]", index % 10);
        match index % 10 {
            0..=4 => {
                let _ =
                    writeln!(text, "role_arn = arn:aws:iam::{:012}:role/Role{index}", 100_000_000_000u64 + team as u64);
                let _ = writeln!(text, "source_profile = keys-{}", team % 50);
                if index % 3 == 0 {
                    let _ = writeln!(text, "mfa_serial = arn:aws:iam::999999999999:mfa/op-{}", team % 50);
                }
                if index % 4 == 1 {
                    let _ = writeln!(text, "external_id = ext-{index}");
                }
            }
            5..=7 => {
                let _ = writeln!(
                    text,
                    "role_arn = arn:aws:iam::{:012}:role/Chained{index}",
                    100_000_000_000u64 + team as u64
                );
                let _ = writeln!(text, "source_profile = team{team}-role{}", index % 10 - 5);
                text.push_str("duration_seconds = 1800\n");
            }
            _ => text.push_str("sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n"),
        }
        text.push_str("region = us-west-2\noutput = json\n\n");
    }
    text
}

fn bench(criterion: &mut Criterion) {
    let text = config();
    let origin = Path::new("/home/operator/.aws/config");
    criterion.bench_function("import 10,000 profiles (read + convert + render)", |bench| {
        bench.iter(|| import(&text, origin))
    });
    let imported = import(&text, origin);
    criterion.bench_function("validate the imported inventory (8,000 roles)", |bench| {
        bench.iter(|| {
            Inventory::parse(Path::new("accounts.toml"), &imported.toml).map(|inventory| inventory.roles().count())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
