//! `list` answered by the agent: every role and its session state from the agent's engine,
//! so the client parses no inventory.

use crate::app::agent_protocol::ListRow;
use crate::domain::engine::{Engine, EngineError};
use crate::domain::exports::rfc3339;
use crate::domain::time::time_left;

pub fn rows(engine: &Engine) -> Result<Vec<ListRow>, EngineError> {
    let now = engine.now();
    let inventory = engine.inventory();
    let mut rows = Vec::new();
    for (account, role) in inventory.roles() {
        let status = engine.status_now(&role.key)?;
        rows.push(ListRow {
            account: account.name.clone(),
            account_id: account.id.clone(),
            environment: account.environment.clone(),
            role: role.key.role.clone(),
            state: status.state.as_str().to_owned(),
            seconds_left: status.expires_at.map(|until| time_left(now, until).as_secs()),
            expires: status.expires_at.map(rfc3339),
            reached: engine.plan(&role.key).map(|plan| plan.route()).unwrap_or_default(),
            region: role.region.clone(),
        });
    }
    Ok(rows)
}
