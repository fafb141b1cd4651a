//! What the portal grants the signed-in user: every account (ListAccounts) and every role of
//! each (ListAccountRoles), in pages of 100, the accounts' roles listed a few at a time. The
//! start URL's limiter paces every call (`limiter`); a throttle slows the run, never fails it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::{IdentityCenter, Page, PortalAccount, SsoError, SsoToken};
use crate::domain::inventory::SsoSettings;

/// Accounts whose roles are listed at once (the rate is the limiter's business).
const CONCURRENT_ACCOUNTS: usize = 8;

/// An account and the roles the portal lists for it, or why they could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedAccount {
    pub account: PortalAccount,
    pub roles: Result<Vec<String>, String>,
}

/// How far a discovery has got, for its progress line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub accounts_listed: usize,
    pub accounts_total: usize,
    pub throttled: u64,
    pub left: Option<Duration>,
}

/// Every account and its roles. A 401 (the session ended) stops the whole run; any other
/// failure of one account's roles is kept with that account and the others go on.
pub async fn discover(
    center: &dyn IdentityCenter,
    sso: &SsoSettings,
    token: &SsoToken,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Vec<GrantedAccount>, SsoError> {
    let limiter = super::limiter::for_start_url(&sso.start_url);
    let accounts = every_page(|next| center.list_accounts_page(sso, token, next)).await?;
    let total = accounts.len();
    let order: std::collections::HashMap<String, usize> =
        accounts.iter().enumerate().map(|(at, account)| (account.id.clone(), at)).collect();
    let started = Instant::now();
    let mut listed = 0;
    let mut granted = Vec::with_capacity(total);
    let mut lists = futures::stream::iter(accounts)
        .map(|account| async move {
            let roles = every_page(|next| center.list_roles_page(sso, token, &account.id, next)).await;
            (account, roles)
        })
        .buffer_unordered(CONCURRENT_ACCOUNTS);
    while let Some((account, roles)) = lists.next().await {
        let roles = match roles {
            Err(SsoError::Unauthorized) => return Err(SsoError::Unauthorized),
            Err(error) => Err(error.to_string()),
            Ok(roles) => Ok(roles),
        };
        granted.push(GrantedAccount { account, roles });
        listed += 1;
        let elapsed = started.elapsed();
        let left = (listed > 0).then(|| elapsed.mul_f64((total - listed) as f64 / listed as f64));
        progress(Progress { accounts_listed: listed, accounts_total: total, throttled: limiter.throttles(), left });
    }
    // In the portal's order, whatever order the lists came back in.
    granted.sort_by_key(|found| order.get(&found.account.id).copied().unwrap_or(usize::MAX));
    Ok(granted)
}

/// Follows `nextToken` to the end; a token the portal already gave is an error, not a loop.
async fn every_page<T, F, Fut>(mut page: F) -> Result<Vec<T>, SsoError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, SsoError>>,
{
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let mut next = None;
    loop {
        let found = page(next.clone()).await?;
        items.extend(found.items);
        match found.next_token {
            Some(token) if token.is_empty() => return Ok(items),
            Some(token) => {
                if !seen.insert(token.clone()) {
                    return Err(SsoError::Service {
                        service: "the Identity Center portal",
                        code: "RepeatedNextToken".into(),
                        message: "the portal gave the same page token twice; stopped rather than loop".into(),
                    });
                }
                next = Some(token);
            }
            None => return Ok(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_are_followed_to_the_end_and_a_repeated_token_stops() {
        let pages = [("a", Some("t1")), ("b", Some("t2")), ("c", None)];
        let mut calls = 0;
        let items = every_page(|next| {
            let at = match next.as_deref() {
                None => 0,
                Some("t1") => 1,
                _ => 2,
            };
            calls += 1;
            let (item, token) = pages[at];
            async move { Ok(Page { items: vec![item], next_token: token.map(str::to_owned) }) }
        })
        .await
        .unwrap();
        assert_eq!((items, calls), (vec!["a", "b", "c"], 3));
        let looping = every_page(|_| async { Ok(Page { items: vec![1], next_token: Some("same".to_owned()) }) }).await;
        assert!(matches!(looping, Err(SsoError::Service { code, .. }) if code == "RepeatedNextToken"));
    }
}
