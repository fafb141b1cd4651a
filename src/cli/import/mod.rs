//! `switchboard import aws-config`: writes an inventory made from the role profiles (and the
//! Identity Center sessions and profiles) of an AWS config file, after checking it passes
//! `check`; never over an existing file without `--force`.

pub mod awsconfig;
pub mod organizations;
pub mod sso;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::AppError;
use crate::app::GlobalOptions;
use crate::domain::inventory::{self, Inventory};
use awsconfig::Finding;

pub struct AwsConfigArgs {
    pub config: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub force: bool,
}

pub fn aws_config(options: &GlobalOptions, args: AwsConfigArgs) -> Result<ExitCode, AppError> {
    let config = match args.config {
        Some(path) => path,
        None => default_config_path()?,
    };
    let out = match args.out {
        Some(path) => path,
        None => inventory::locate(options.inventory.as_deref())?,
    };
    let to_stdout = out.as_os_str() == "-";
    if !to_stdout && !args.force && out.exists() {
        return Err(AppError::Usage(format!(
            "{} already exists: pass --force to replace it, or --out another file",
            out.display()
        )));
    }
    let text = std::fs::read_to_string(&config)
        .map_err(|error| AppError::Failed(format!("cannot read {}: {error}", config.display())))?;
    let started = std::time::Instant::now();
    let import = awsconfig::import(&text, &config);
    tracing::info!(elapsed = ?started.elapsed(), "read {}", config.display());
    // A config of Identity Center sessions alone still gives their sources (to sign in with).
    if import.addresses.is_empty() && import.sources == 0 {
        report(&config, "not imported", &import.skipped);
        return Err(AppError::Failed(format!("{} has no role profile switchboard can import", config.display())));
    }
    let check_path = if to_stdout { PathBuf::from("accounts.toml") } else { out.clone() };
    // The import is written only if it is an inventory `check` accepts.
    let checked = Inventory::checked(&check_path, &import.toml, import.raw).map_err(|error| {
        AppError::Failed(format!(
            "the imported inventory does not pass check (a bug in import; nothing was written):\n{error}"
        ))
    })?;
    if to_stdout {
        super::output::print_raw(&import.toml)?;
    } else {
        write_new_file(&out, &import.toml)?;
        checked.keep_compiled(&out, &import.toml);
    }
    report(&config, "imported with changes", &import.notes);
    report(&config, "not imported", &import.skipped);
    super::output::warn(&format!(
        "imported {} roles in {} accounts from {} sources{}{}",
        checked.roles().count(),
        import.accounts,
        import.sources,
        if to_stdout { String::new() } else { format!(" into {}", out.display()) },
        if import.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} lines or profiles were not imported (listed above and at the end of the file)",
                import.skipped.len()
            )
        }
    ));
    Ok(ExitCode::SUCCESS)
}

fn report(config: &Path, heading: &str, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    super::output::warn(&format!("{heading} ({}):", findings.len()));
    for finding in findings {
        super::output::warn(&format!("  {}:{finding}", config.display()));
    }
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`, as the AWS CLI finds it.
fn default_config_path() -> Result<PathBuf, AppError> {
    if let Some(path) = std::env::var_os("AWS_CONFIG_FILE").filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    directories::BaseDirs::new()
        .map(|dirs| dirs.home_dir().join(".aws").join("config"))
        .ok_or_else(|| AppError::Usage("no home directory: pass --config FILE".to_owned()))
}

/// Written to a temporary file beside it and renamed, so a replaced inventory is never half-written.
fn write_new_file(path: &Path, text: &str) -> Result<(), AppError> {
    let failed = |error: std::io::Error| AppError::Failed(format!("cannot write {}: {error}", path.display()));
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let temporary = dir.join(format!(".{}.import-{}", file_name(path), std::process::id()));
    let mut file = std::fs::File::create(&temporary).map_err(failed)?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        failed(error)
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| "inventory".to_owned(), |name| name.to_string_lossy().into_owned())
}

pub struct OrganizationsArgs {
    pub via: String,
    pub role_name: String,
    pub dry_run: bool,
    pub tags_from_ou: bool,
}

/// `import organizations`: one account per member of the organization the `--via` role or
/// source is in, merged into the inventory (or, with `--dry-run`, the diff printed).
pub async fn organizations(options: &GlobalOptions, args: OrganizationsArgs) -> Result<ExitCode, AppError> {
    use crate::cli::import::organizations;

    let path = inventory::locate(options.inventory.as_deref())?;
    let existing = std::fs::read_to_string(&path)
        .map_err(|error| AppError::Failed(format!("cannot read the inventory {}: {error}", path.display())))?;
    let (credentials, parent, inventory) = via_credentials(options, &args.via).await?;
    let endpoint = inventory.endpoint_for("AWS_ENDPOINT_URL_ORGANIZATIONS");
    let organization = organizations::list_accounts(&credentials, endpoint, args.tags_from_ou)
        .await
        .map_err(|error| AppError::Failed(format!("through {}: {error}", args.via)))?;
    let merged = organizations::merge(&existing, &organization, &args.role_name, &parent, args.tags_from_ou)
        .map_err(|message| AppError::Failed(format!("{}: {message}", path.display())))?;
    for (id, why) in &merged.left_out {
        super::output::warn(&format!("left out {id}: {why}"));
    }
    if merged.added.is_empty() {
        super::output::warn(&format!(
            "nothing to add: every active account of the organization is in {}",
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    Inventory::parse(&path, &merged.text).map_err(|error| {
        AppError::Failed(format!("the merged inventory would not pass check, so nothing was written:\n{error}"))
    })?;
    if args.dry_run {
        super::output::println(&format!(
            "--- {}\n+++ {} (with {} accounts of the organization)",
            path.display(),
            path.display(),
            merged.added.len()
        ))?;
        super::output::print(&organizations::diff(&existing, &merged.text))?;
        super::output::warn(&format!("dry run: {} accounts would be added; nothing was written", merged.added.len()));
        return Ok(ExitCode::SUCCESS);
    }
    write_new_file(&path, &merged.text)?;
    let names: Vec<String> = merged.added.iter().map(|(name, id)| format!("{name} ({id})")).collect();
    super::output::warn(&format!("added {} accounts to {}: {}", merged.added.len(), path.display(), names.join(", ")));
    Ok(ExitCode::SUCCESS)
}

/// The credentials `--via` names: a role's session (ACCOUNT/ROLE) or a source's keys.
async fn via_credentials(
    options: &GlobalOptions,
    via: &str,
) -> Result<(crate::domain::credentials::Credentials, organizations::MergeParent, Inventory), AppError> {
    use crate::cli::import::organizations::MergeParent;
    use crate::domain::sources::{LocalSourceKeys, SourceKeys as _};

    if via.contains('/') {
        let context = super::context::Context::open(options, true, true).await?;
        let role = context.role(via)?;
        let session = context.session(&role, crate::domain::engine::Renewal::IfNeeded).await?;
        let inventory = context.engine.inventory().clone();
        return Ok((session.credentials, MergeParent::Via(role.to_string()), inventory));
    }
    let store = crate::app::start_opening_store(true);
    let inventory = crate::app::load_inventory(options)?.inventory;
    let source = inventory.source(via).ok_or_else(|| {
        let known: Vec<&str> = inventory.sources.keys().map(String::as_str).collect();
        AppError::Usage(format!(
            "--via {via}: no role address (ACCOUNT/ROLE) and no source of that name (sources: {})",
            known.join(", ")
        ))
    })?;
    let keys = LocalSourceKeys::new(store.await, &inventory).keys(source).await?;
    Ok((keys, MergeParent::Source(via.to_owned()), inventory))
}
