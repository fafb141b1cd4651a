//! From a role in the inventory to the chain of layers that produces its session, each
//! with the reason it is there and what caps its duration (printed by `switchboard check`).

mod listed;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use listed::Listed;

use super::duration::format_duration;
use super::inventory::{
    Inventory, MAX_CHAINED_DURATION, Role, RoleKey, RoleParent, SessionAttributes, Source, SourceCredentials,
    SsoSettings, TemplateValues, current_user, expand_template,
};

#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// Long-term keys; they do not expire and are never put in the session cache.
    SourceKeys { source: String },
    /// GetSessionToken with MFA: one code, then many roles without another.
    MfaSession { source: String, device: String, duration: Duration, region: String },
    AssumeRole {
        role: RoleKey,
        arn: String,
        duration: Duration,
        /// Set when this AssumeRole call itself carries a code.
        mfa_device: Option<String>,
        external_id: Option<String>,
        region: String,
        chained: bool,
        /// RoleSessionName, its template filled; `None`: the engine's default.
        session_name: Option<String>,
        /// Session tags, transitive keys and the source identity (filled) sent with AssumeRole.
        attributes: SessionAttributes,
    },
    /// An IAM Identity Center sign-in: its token, renewed silently with the refresh token, or
    /// by a person signing in (only when asked, like an MFA code).
    SsoSignIn { source: String, sso: SsoSettings },
    /// GetRoleCredentials of a permission set, with the sign-in's token.
    SsoRole { role: RoleKey, account_id: String, permission_set: String, sso: SsoSettings, region: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Stable across runs and processes: the session cache key.
    pub id: String,
    pub kind: LayerKind,
    reason: Reason,
}

/// What `Layer::why` is written from.
#[derive(Debug, Clone, PartialEq)]
enum Reason {
    /// Source keys and MFA sessions: a handful per inventory, written when planned.
    Written(String),
    /// An AssumeRole layer: thousands per inventory and rarely read (`check`, the chain pane),
    /// so the sentence is written only when asked for.
    AssumeRole { through: Through, duration_set_on_role: bool, wanted: Duration, names_session: bool },
}

#[derive(Debug, Clone, PartialEq)]
enum Through {
    MfaSession,
    SourceKeys(String),
    Role(RoleKey),
}

impl Layer {
    /// One sentence for the operator: why this layer exists and what caps it.
    pub fn why(&self) -> String {
        let (through, duration_set_on_role, wanted, names_session) = match &self.reason {
            Reason::Written(text) => return text.clone(),
            Reason::AssumeRole { through, duration_set_on_role, wanted, names_session } => {
                (through, duration_set_on_role, wanted, names_session)
            }
        };
        let LayerKind::AssumeRole { arn, duration, mfa_device, session_name, attributes, .. } = &self.kind else {
            return String::new();
        };
        let mut why = match through {
            Through::Role(parent) => {
                let mut why = format!(
                    "AssumeRole into {arn} with the session of {parent} for {}: a chained role, AWS caps this at 1h",
                    format_duration(*duration)
                );
                if wanted > duration {
                    why.push_str(&format!(" (defaults.duration {} is cut to 1h)", format_duration(*wanted)));
                }
                if let Some(device) = mfa_device {
                    why.push_str(&format!("; sends a code from {device} because mfa = true"));
                }
                why
            }
            Through::MfaSession | Through::SourceKeys(_) => {
                let with = match through {
                    Through::SourceKeys(source) => format!("keys of source {source}"),
                    _ => "MFA session, so no new code is needed".to_owned(),
                };
                let field = if *duration_set_on_role { "duration" } else { "defaults.duration" };
                let mut why = format!(
                    "AssumeRole into {arn} with the {with} for {} ({field}; AWS allows 15m up to the role's MaxSessionDuration: 1h unless raised, 12h at most)",
                    format_duration(*duration),
                );
                if let (Some(device), Through::SourceKeys(source)) = (mfa_device, through) {
                    why.push_str(&format!(
                        "; sends a code from {device} because mfa = true and source {source} has no session_duration (each renewal needs a new code)"
                    ));
                }
                why
            }
        };
        let session_name = session_name.as_deref().filter(|_| *names_session);
        why.push_str(&describe_session(session_name, attributes));
        why
    }

    pub fn label(&self) -> &'static str {
        match &self.kind {
            LayerKind::SourceKeys { .. } => "source keys",
            LayerKind::MfaSession { .. } => "MFA session",
            LayerKind::AssumeRole { chained: true, .. } => "chained role",
            LayerKind::AssumeRole { .. } => "assume role",
            LayerKind::SsoSignIn { .. } => "Identity Center sign-in",
            LayerKind::SsoRole { .. } => "permission set",
        }
    }

    /// How long a renewal of this layer asks STS for; `None` for source keys.
    pub fn duration(&self) -> Option<Duration> {
        match &self.kind {
            LayerKind::MfaSession { duration, .. } | LayerKind::AssumeRole { duration, .. } => Some(*duration),
            LayerKind::SourceKeys { .. } | LayerKind::SsoSignIn { .. } | LayerKind::SsoRole { .. } => None,
        }
    }

    /// The device whose code a renewal of this layer needs, if any.
    pub fn mfa_device(&self) -> Option<&str> {
        match &self.kind {
            LayerKind::MfaSession { device, .. } => Some(device),
            LayerKind::AssumeRole { mfa_device, .. } => mfa_device.as_deref(),
            LayerKind::SourceKeys { .. } | LayerKind::SsoSignIn { .. } | LayerKind::SsoRole { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub role: RoleKey,
    /// From the source keys (first) to the role itself (last). A source's layers are shared
    /// by every plan that starts from it.
    pub layers: Vec<Arc<Layer>>,
}

impl Plan {
    pub fn target(&self) -> &Layer {
        // A plan always ends with the role's own AssumeRole layer (see `plan_for`).
        &self.layers[self.layers.len() - 1]
    }

    pub fn source_name(&self) -> &str {
        match &self.layers[0].kind {
            LayerKind::SourceKeys { source } | LayerKind::SsoSignIn { source, .. } => source,
            _ => "",
        }
    }

    /// How the role is reached, in a few words: "hub", "hub + MFA session", "chained from x/y".
    pub fn route(&self) -> String {
        let mut route = self.source_name().to_owned();
        for layer in &self.layers[1..self.layers.len() - 1] {
            match &layer.kind {
                LayerKind::MfaSession { .. } => route.push_str(" + MFA session"),
                LayerKind::AssumeRole { role, .. } => route = format!("chained from {role}"),
                LayerKind::SsoRole { .. } => route.push_str(" (Identity Center)"),
                LayerKind::SourceKeys { .. } | LayerKind::SsoSignIn { .. } => {}
            }
        }
        if let LayerKind::SsoRole { .. } = self.target().kind {
            route.push_str(" (Identity Center)");
        }
        if self.target().mfa_device().is_some() {
            route.push_str(" + MFA code");
        }
        route
    }
}

/// Every role's plan, in inventory order.
pub fn plans(inventory: &Inventory) -> Vec<Plan> {
    let planner = Planner::new(inventory);
    inventory.roles().filter_map(|(_, role)| planner.plan(inventory, role)).collect()
}

pub fn plan_for(inventory: &Inventory, role: &Role) -> Option<Plan> {
    Planner::new(inventory).plan(inventory, role)
}

/// The plan of an Identity Center source's sign-in alone (`login`, `logout`), addressed as
/// `SOURCE/sign-in`: a source may have no role yet (before `import sso`).
pub fn sign_in_plan(inventory: &Inventory, source: &str) -> Option<Plan> {
    let source = inventory.source(source)?;
    source.sso()?;
    let role = RoleKey { account: source.name.as_str().into(), role: "sign-in".into() };
    Some(Plan { role, layers: vec![Arc::new(source_layer(source))] })
}

/// What every plan of one inventory shares, worked out once: at thousands of roles, the
/// source and MFA-session layers of a source are the same for each of its roles, and the
/// endpoint and the operator's name are the same for all of them. It holds no borrow of the
/// inventory, so an engine keeps it and plans each role when first asked (`plan`).
pub struct Planner {
    endpoint: String,
    user: String,
    source_layers: HashMap<String, Arc<Layer>>,
    mfa_layers: HashMap<String, Arc<Layer>>,
}

impl Planner {
    pub fn new(inventory: &Inventory) -> Self {
        let endpoint = inventory.defaults.endpoint_url.as_deref().map(|url| format!("@{url}")).unwrap_or_default();
        let sources = inventory.sources.values();
        let source_layers =
            sources.clone().map(|source| (source.name.clone(), Arc::new(source_layer(source)))).collect();
        let mfa_layers = sources
            .filter_map(|source| {
                mfa_session_layer(inventory, source, &endpoint).map(|layer| (source.name.clone(), Arc::new(layer)))
            })
            .collect();
        Self { endpoint, user: current_user(), source_layers, mfa_layers }
    }

    /// The role's plan (`None` for a role whose source or parent is missing, which a valid
    /// inventory never has).
    pub fn plan(&self, inventory: &Inventory, role: &Role) -> Option<Plan> {
        match &role.parent {
            RoleParent::Source(name) => {
                let source = inventory.source(name)?;
                if let Some(sso) = source.sso() {
                    let sign_in = self.source_layer(source);
                    let role_layer = sso_role_layer(role, source, sso, &self.endpoint);
                    return Some(Plan { role: role.key.clone(), layers: vec![sign_in, Arc::new(role_layer)] });
                }
                let mut layers = vec![self.source_layer(source)];
                let mfa_layer = if role.mfa { self.mfa_layers.get(&source.name).cloned() } else { None };
                let mfa_session = mfa_layer.is_some();
                layers.extend(mfa_layer);
                let duration = role.duration.unwrap_or(inventory.defaults.duration);
                let code_device = if role.mfa && !mfa_session { source.mfa_serial.clone() } else { None };
                let through = if mfa_session { Through::MfaSession } else { Through::SourceKeys(source.name.clone()) };
                let from =
                    RoleFrom { from: &format!("from:{}", source.name), through, wanted: duration, chained: false };
                layers.push(Arc::new(self.role_layer(inventory, role, from, duration, code_device)));
                Some(Plan { role: role.key.clone(), layers })
            }
            RoleParent::Via(parent_key) => {
                let parent = inventory.role(parent_key)?;
                let mut layers = self.plan(inventory, parent)?.layers;
                let wanted = role.duration.unwrap_or(inventory.defaults.duration);
                let duration = wanted.min(MAX_CHAINED_DURATION);
                let code_device = role
                    .mfa
                    .then(|| inventory.root_source(role).and_then(|source| source.mfa_serial.clone()))
                    .flatten();
                let through = Through::Role(parent_key.clone());
                let from = RoleFrom { from: &format!("via:{parent_key}"), through, wanted, chained: true };
                layers.push(Arc::new(self.role_layer(inventory, role, from, duration, code_device)));
                Some(Plan { role: role.key.clone(), layers })
            }
        }
    }

    /// The id of the first layer of every plan from `source`.
    pub fn first_layer_id(&self, source: &Source) -> String {
        self.source_layer(source).id.clone()
    }

    fn source_layer(&self, source: &Source) -> Arc<Layer> {
        self.source_layers.get(&source.name).cloned().unwrap_or_else(|| Arc::new(source_layer(source)))
    }

    fn role_layer(
        &self,
        inventory: &Inventory,
        role: &Role,
        from: RoleFrom<'_>,
        duration: Duration,
        mfa_device: Option<String>,
    ) -> Layer {
        let (session_name, attributes) = session_of(inventory, role, &self.user);
        Layer {
            id: assume_role_id(role, from.from, &self.endpoint),
            kind: LayerKind::AssumeRole {
                role: role.key.clone(),
                arn: role.arn.clone(),
                duration,
                mfa_device,
                external_id: role.external_id.clone(),
                region: role.region.to_string(),
                chained: from.chained,
                session_name,
                attributes,
            },
            reason: Reason::AssumeRole {
                through: from.through,
                duration_set_on_role: role.duration.is_some(),
                wanted: from.wanted,
                names_session: role.session_name.is_some(),
            },
        }
    }
}

fn assume_role_id(role: &Role, from: &str, endpoint: &str) -> String {
    let mut id = String::new();
    write_assume_role_id(&mut id, role, format_args!("{from}"), endpoint);
    id
}

fn write_assume_role_id(id: &mut String, role: &Role, from: std::fmt::Arguments<'_>, endpoint: &str) {
    use std::fmt::Write as _;
    let _ = write!(id, "assume-role|{}|{}|{from}{endpoint}", role.key, role.arn);
}

fn sso_role_id(role: &Role, permission_set: &str, sso: &SsoSettings, endpoint: &str) -> String {
    let mut id = String::new();
    write_sso_role_id(&mut id, role, permission_set, sso, endpoint);
    id
}

fn write_sso_role_id(id: &mut String, role: &Role, permission_set: &str, sso: &SsoSettings, endpoint: &str) {
    use std::fmt::Write as _;
    let _ = write!(id, "sso-role|{}|{}|{permission_set}|{}{endpoint}", role.key, role.account_id, sso.start_url);
}

/// How an AssumeRole layer is reached: the `from:`/`via:` part of its id, and its reason.
struct RoleFrom<'a> {
    from: &'a str,
    through: Through,
    wanted: Duration,
    chained: bool,
}

fn mfa_session_layer(inventory: &Inventory, source: &Source, endpoint: &str) -> Option<Layer> {
    let (Some(device), Some(duration)) = (&source.mfa_serial, source.session_duration) else {
        return None;
    };
    let region = source.region.clone().unwrap_or_else(|| inventory.defaults.region.clone());
    Some(Layer {
        id: format!("mfa-session|{}|{device}{endpoint}", source.name),
        reason: Reason::Written(format!(
            "GetSessionToken with MFA device {device} for {} (session_duration; AWS allows 15m to 36h): one code here lets every MFA role of source {} be assumed without another code",
            format_duration(duration),
            source.name
        )),
        kind: LayerKind::MfaSession { source: source.name.clone(), device: device.clone(), duration, region },
    })
}

/// GetRoleCredentials of the role's permission set, with the sign-in of its source.
fn sso_role_layer(role: &Role, source: &Source, sso: &SsoSettings, endpoint: &str) -> Layer {
    let permission_set = role.permission_set.clone().unwrap_or_default();
    Layer {
        id: sso_role_id(role, &permission_set, sso, endpoint),
        reason: Reason::Written(format!(
            "{permission_set} in account {} through GetRoleCredentials with the sign-in of source {}; the permission set's session duration decides how long (1h to 12h)",
            role.account_id, source.name
        )),
        kind: LayerKind::SsoRole {
            role: role.key.clone(),
            account_id: role.account_id.to_string(),
            permission_set,
            sso: sso.clone(),
            region: role.region.to_string(),
        },
    }
}

fn source_layer(source: &Source) -> Layer {
    if let Some(sso) = source.sso() {
        return Layer {
            id: crate::domain::sso::kept::token_layer_id(sso),
            reason: Reason::Written(format!(
                "at {} ({}): the token lasts about an hour and is renewed with its refresh token, without you, until the Identity Center session ends; then `switchboard login {}` (or r in the screen) signs in again",
                sso.start_url, sso.region, source.name
            )),
            kind: LayerKind::SsoSignIn { source: source.name.clone(), sso: sso.clone() },
        };
    }
    let why = match &source.credentials {
        SourceCredentials::Profile { profile, credentials_file: Some(file) } => format!(
            "long-term keys of source {}: profile \"{profile}\" in {}, read through aws-config; they do not expire and are never cached",
            source.name,
            file.display()
        ),
        SourceCredentials::Profile { profile, credentials_file: None } => format!(
            "long-term keys of source {}: profile \"{profile}\" of the AWS config and credentials files, read through aws-config; they do not expire and are never cached",
            source.name
        ),
        SourceCredentials::Keyring => format!(
            "long-term keys of source {} from the OS keyring (stored with `switchboard keys add {}`); they do not expire and are never cached",
            source.name, source.name
        ),
        SourceCredentials::Sso(_) => String::new(),
    };
    Layer {
        id: format!("source|{}", source.name),
        kind: LayerKind::SourceKeys { source: source.name.clone() },
        reason: Reason::Written(why),
    }
}

/// The role's session name and attributes with their templates filled for this operator.
fn session_of(inventory: &Inventory, role: &Role, user: &str) -> (Option<String>, SessionAttributes) {
    let values =
        TemplateValues { user, account: &role.key.account, account_id: &role.account_id, role: &role.key.role };
    let template = role.session_name.as_ref().or(inventory.defaults.session_name.as_ref());
    let session_name = template.map(|template| expand_template(template, &values));
    let mut attributes = role.session().clone();
    attributes.source_identity =
        attributes.source_identity.as_deref().map(|template| expand_template(template, &values));
    (session_name, attributes)
}

/// "; session name x, session tags a=b (passed on to chained roles: a), source identity y".
/// `session_name`: only when the role sets its own template.
fn describe_session(session_name: Option<&str>, attributes: &SessionAttributes) -> String {
    let mut parts = Vec::new();
    if let Some(name) = session_name {
        parts.push(format!("session name {name}"));
    }
    if !attributes.tags.is_empty() {
        let tags: Vec<String> = attributes.tags.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let mut text = format!("session tags {}", tags.join(", "));
        if !attributes.transitive_tag_keys.is_empty() {
            text.push_str(&format!(" (passed on to chained roles: {})", attributes.transitive_tag_keys.join(", ")));
        }
        parts.push(text);
    }
    if let Some(identity) = &attributes.source_identity {
        parts.push(format!("source identity {identity} (kept by every role chained from this one)"));
    }
    if parts.is_empty() { String::new() } else { format!("; {}", parts.join("; ")) }
}

#[cfg(test)]
mod tests;
