//! The member accounts of an AWS Organization (ListAccounts, paginated), with each one's OU
//! path when asked, for `switchboard import organizations`.

use std::collections::HashMap;

use aws_sdk_organizations::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::types::AccountStatus;

use crate::app::progress::Progress;
use crate::domain::aws;
use crate::domain::credentials::Credentials;

mod merge;
pub use merge::{Merge, MergeParent, diff, merge};

/// Organizations is a global service answered in us-east-1.
const REGION: &str = "us-east-1";

#[derive(Debug, Clone, PartialEq)]
pub struct MemberAccount {
    pub id: String,
    pub name: String,
    /// OU names from the root down (empty for an account directly under the root, or when not asked).
    pub ou_path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Organization {
    pub management_account_id: Option<String>,
    /// Active accounts, in ListAccounts order.
    pub accounts: Vec<MemberAccount>,
    /// `(id, name, why)` of accounts not active (suspended, pending closure).
    pub inactive: Vec<(String, String, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("Organizations {action}: {message}")]
pub struct OrganizationsError {
    pub action: &'static str,
    pub message: String,
}

fn failed<E: ProvideErrorMetadata + std::error::Error + 'static>(
    action: &'static str,
    error: SdkError<E>,
) -> OrganizationsError {
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => match aws::unread_error_answer(&error) {
            Some(aws::ErrorAnswer::Aws { code, message }) => format!("{code}: {message}"),
            // A proxy's page, an empty body: its status and type, never its text.
            Some(aws::ErrorAnswer::Foreign(answer)) => answer.line("Organizations"),
            None => DisplayErrorContext(&error).to_string(),
        },
    };
    OrganizationsError { action, message }
}

fn client(credentials: &Credentials, endpoint_url: Option<String>) -> aws_sdk_organizations::Client {
    let config = aws::sdk_config(credentials, REGION, endpoint_url, aws::OPERATION_TIMEOUT);
    aws_sdk_organizations::Client::new(&config)
}

/// Every account of the organization the credentials are in; with `ou_paths`, where each sits.
pub async fn list_accounts(
    credentials: &Credentials,
    endpoint_url: Option<String>,
    ou_paths: bool,
) -> Result<Organization, OrganizationsError> {
    // Thousands of accounts take minutes with their OU paths: the operator sees them come.
    let listed = Progress::counter("accounts listed");
    let client = client(credentials, endpoint_url);
    let management_account_id = client
        .describe_organization()
        .send()
        .await
        .map_err(|error| failed("DescribeOrganization", error))?
        .organization()
        .and_then(|organization| organization.master_account_id().map(str::to_owned));
    let mut organization = Organization { management_account_id, ..Organization::default() };
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| failed("ListAccounts", error))?;
        for account in page.accounts() {
            let id = account.id().unwrap_or_default().to_owned();
            let name = account.name().unwrap_or_default().to_owned();
            #[allow(deprecated)] // `state` replaces `status` in newer APIs; emulators still send `status`.
            let status = account.status().cloned();
            match status {
                Some(AccountStatus::Active) | None => {
                    organization.accounts.push(MemberAccount { id, name, ou_path: Vec::new() })
                }
                Some(other) => organization.inactive.push((id, name, format!("status {}", other.as_str()))),
            }
            listed.advance(1);
        }
    }
    drop(listed);
    if ou_paths {
        let placed = Progress::bar("OU paths", organization.accounts.len() as u64);
        let mut names = HashMap::new();
        for account in &mut organization.accounts {
            account.ou_path = ou_path(&client, &account.id, &mut names).await?;
            placed.advance(1);
        }
    }
    Ok(organization)
}

/// Walks ListParents up to the root; OU names are asked once each.
async fn ou_path(
    client: &aws_sdk_organizations::Client,
    account_id: &str,
    names: &mut HashMap<String, String>,
) -> Result<Vec<String>, OrganizationsError> {
    let mut path = Vec::new();
    let mut child = account_id.to_owned();
    // An organization nests OUs at most 5 deep; the bound keeps a bad answer from looping.
    for _ in 0..8 {
        let parents =
            client.list_parents().child_id(&child).send().await.map_err(|error| failed("ListParents", error))?;
        let Some(parent) = parents.parents().first() else { break };
        let Some(parent_id) = parent.id().map(str::to_owned) else { break };
        if parent.r#type() != Some(&aws_sdk_organizations::types::ParentType::OrganizationalUnit) {
            break;
        }
        let name = match names.get(&parent_id) {
            Some(name) => name.clone(),
            None => {
                let described = client
                    .describe_organizational_unit()
                    .organizational_unit_id(&parent_id)
                    .send()
                    .await
                    .map_err(|error| failed("DescribeOrganizationalUnit", error))?;
                let name = described
                    .organizational_unit()
                    .and_then(|unit| unit.name())
                    .unwrap_or(parent_id.as_str())
                    .to_owned();
                names.insert(parent_id.clone(), name.clone());
                name
            }
        };
        path.insert(0, name);
        child = parent_id;
    }
    Ok(path)
}
