//! `switchboard check`: validates the inventory and prints every role's plan.

use std::process::ExitCode;

use crate::domain::clock::Clock as _;
use crate::domain::clock::skew_notice;
use crate::domain::plan::{LayerKind, plans};

use super::{AppError, output};
use crate::app::{GlobalOptions, load_inventory, remembered_clock};

pub fn run(options: &GlobalOptions) -> Result<ExitCode, AppError> {
    let inventory = load_inventory(options)?.inventory;
    let plans = plans(&inventory);
    // One text, written once: a closed stdout (`check | head`) then ends the command quietly.
    let mut text = format!(
        "{}: valid ({} sources, {} accounts, {} roles)\n",
        inventory.path.display(),
        inventory.sources.len(),
        inventory.accounts().len(),
        plans.len()
    );
    for plan in &plans {
        let role = inventory.role(&plan.role);
        text += &format!(
            "\n{}  {}  {}\n",
            plan.role,
            role.map_or("", |role| role.arn.as_str()),
            role.map_or("", |role| role.region.as_str())
        );
        for (number, layer) in plan.layers.iter().enumerate() {
            text += &format!("  {}. {:<13} {}\n", number + 1, layer.label(), layer.why());
        }
    }
    for source in inventory.sources.values() {
        let coded: Vec<String> = plans
            .iter()
            .filter(|plan| plan.source_name() == source.name)
            .filter(|plan| matches!(plan.target().kind, LayerKind::AssumeRole { mfa_device: Some(_), .. }))
            .map(|plan| plan.role.to_string())
            .collect();
        if coded.len() > 1 {
            text += &format!(
                "\nnote: {} roles of source {} each need their own MFA code ({}); set `session_duration` on the source to unlock them all with one\n",
                coded.len(),
                source.name,
                coded.join(", ")
            );
        }
    }
    // A wrong clock makes every countdown wrong; `check` is where an operator looks first.
    if let Some(notice) = skew_notice(remembered_clock(&inventory).ahead_of_aws()) {
        text += &format!(
            "\nnote: {notice} (measured by an earlier command's STS answer): sessions are judged in AWS time; set this machine's clock (NTP)\n"
        );
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
