//! The inventory: found where every command looks for it, and valid as `check` judges it
//! (the screen's keys too): the loader the other commands use.

use std::sync::Arc;

use super::{Finding, INVENTORY_TIMEOUT, on_thread, timed_out};
use crate::app::{AppError, GlobalOptions, load_inventory};
use crate::domain::inventory::{Inventory, InventoryError};

const CHECK: &str = "inventory";

/// The findings, and the inventory when it is valid (the checks that compare with it).
pub async fn check(options: &GlobalOptions) -> (Vec<Finding>, Option<Arc<Inventory>>) {
    let found_by = found_by(options);
    let loading = options.clone();
    let Some(loaded) = on_thread(INVENTORY_TIMEOUT, move || load_inventory(&loading)).await else {
        let finding = Finding::problem(
            CHECK,
            format!("{} reading it", timed_out(INVENTORY_TIMEOUT)),
            "is the file on a network mount that hangs? Copy it to a local disk",
        );
        return (vec![finding], None);
    };
    match loaded {
        Ok(loaded) => {
            let inventory = loaded.inventory;
            let summary = format!(
                "{} ({found_by}): valid, {} sources, {} accounts, {} roles",
                inventory.path.display(),
                inventory.sources.len(),
                inventory.accounts().len(),
                inventory.roles().count()
            );
            (vec![Finding::ok(CHECK, summary)], Some(Arc::new(inventory)))
        }
        Err(error) => (vec![failed(&error, found_by)], None),
    }
}

/// Where the path came from: the option, the variable, or the default place.
fn found_by(options: &GlobalOptions) -> &'static str {
    if options.inventory.is_some() {
        "from --inventory"
    } else if std::env::var_os("SWITCHBOARD_INVENTORY").is_some_and(|value| !value.is_empty()) {
        "from $SWITCHBOARD_INVENTORY"
    } else {
        "the default location"
    }
}

fn failed(error: &AppError, found_by: &str) -> Finding {
    match error {
        AppError::Inventory(InventoryError::Missing { path }) => Finding::problem(
            CHECK,
            format!("no inventory at {} ({found_by})", path.display()),
            "copy accounts.example.toml there, or make one with `switchboard import aws-config`; \
             or pass --inventory PATH (or set SWITCHBOARD_INVENTORY)",
        ),
        AppError::Inventory(InventoryError::Invalid(problems)) => {
            let first = problems.first().map(ToString::to_string).unwrap_or_default();
            let more = match problems.len() {
                0 | 1 => String::new(),
                count => format!(" (and {} more)", count - 1),
            };
            Finding::problem(
                CHECK,
                format!("invalid: {first}{more}"),
                "fix it there; `switchboard check` lists every problem",
            )
        }
        other => Finding::problem(CHECK, other.to_string(), "pass --inventory with the path of your inventory"),
    }
}
