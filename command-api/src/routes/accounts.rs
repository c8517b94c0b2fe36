//! Accounts. The caller's own is registered from the token's claims (subject, email, name,
//! roles) the first time they subscribe, or when they save their profile with `PUT /me`. Admins
//! holding `accounts-admin` change an account's roles with `PUT /accounts/{subject}/roles`: at the
//! identity provider (through `codeflix_auth::RoleAdmin`), then in the event log.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use codeflix_auth::RoleAdminError;
use codeflix_domain::accounts::{
    Account, AccountError, AccountId, ChangeRoles, DisplayName, Email, Locale, OptOutCategory,
    Phone, RegisterAccount, Role, SetOptOuts, UpdateProfile,
};
use codeflix_domain::{ExpectedVersion, Version};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::input::{Fields, JsonObject};
use crate::problem::Problem;
use crate::write::{Caller, DomainProblem, Write, respond, state_conflict};

/// The profile a customer shows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct ProfileRequest {
    /// 1 to 100 characters, no line breaks.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Ana Souza"
    )]
    display_name: String,
    /// Where mail goes (one `@`, a domain with a dot); the token's email when absent.
    #[schema(
        max_length = 254,
        nullable,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^@\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]+@[^@.\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F][^@\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]*\.[^@\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]*[^@.\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F][\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "ana@example.com"
    )]
    email: Option<String>,
    /// Where SMS go, in E.164 form; absent or blank clears it.
    #[schema(
        max_length = 16,
        nullable,
        pattern = r"^\s*(\+[1-9][0-9]{6,14})?\s*$",
        example = "+5511912345678"
    )]
    phone: Option<String>,
    /// The language of messages, a BCP 47 tag (`en`, `pt-BR`); absent or blank means the
    /// default (English). Messages without a translation in it are sent in English.
    #[schema(
        max_length = 35,
        nullable,
        pattern = r"^\s*([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*)?\s*$",
        example = "pt-BR"
    )]
    locale: Option<String>,
}

/// A kind of message a customer may opt out of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum OptOutName {
    /// About the customer's own account or work (e.g. "your video is ready").
    Account,
    /// News and offers.
    Marketing,
}

/// Which messages the caller does not want.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct OptOutsRequest {
    /// Exactly the categories opted out of from now on; empty opts in to everything. Critical
    /// messages (billing, security) are sent whatever this says.
    #[schema(max_items = 2)]
    opted_out: Vec<OptOutName>,
}

impl DomainProblem for AccountError {
    fn problem(&self) -> Problem {
        match self {
            AccountError::NotFound => Problem::not_found(self.to_string()),
            AccountError::AlreadyRegistered => state_conflict(self.to_string()),
        }
    }
}

/// The roles of a token, those an account can keep.
fn roles(caller: &Caller) -> BTreeSet<Role> {
    caller
        .principal
        .roles
        .iter()
        .filter_map(|r| Role::parse(r).ok())
        .collect()
}

fn account_id(caller: &Caller) -> Result<AccountId, Problem> {
    AccountId::parse(&caller.principal.subject)
        .map_err(|e| Problem::bad_request(format!("the token's subject: {e}")))
}

/// Namespace of the command ids of registrations from a token.
const REGISTRATIONS: Uuid = Uuid::from_u128(0x6a0e_2c4f_91b3_4d17_8f52_c3e9_07a1_5b28);

/// Registers the caller's account from their token's claims unless it is registered already.
/// A token without an email (a script's) registers nothing.
pub(crate) async fn ensure_account(state: &AppState, caller: &Caller) -> Result<(), Problem> {
    let Some(email) = caller
        .principal
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
    else {
        return Ok(());
    };
    let id = account_id(caller)?;
    let account = state
        .log()
        .load::<Account>(&id)
        .await
        .map_err(|e| Problem::fault("loading the account", &e))?;
    // Registered already: its roles change through `PUT /accounts/{subject}/roles`, which sets
    // them at the identity provider too, so a token issued before must not set them back.
    if account.state().email().is_some() {
        return Ok(());
    }
    let name = caller
        .principal
        .name
        .as_deref()
        .or(caller.principal.username.as_deref())
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("customer"));
    let display_name = DisplayName::parse(name)
        .or_else(|_| DisplayName::parse("customer"))
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    let command = RegisterAccount {
        email,
        display_name,
        roles: roles(caller),
        phone: None,
        locale: None,
    }
    .into();
    // Named by the subject and the version it applies to: two requests racing register once.
    let mut write = Write::with_command_id(
        caller,
        Uuid::new_v5(
            &REGISTRATIONS,
            format!("{}\n{}", id, account.version()).as_bytes(),
        ),
        ExpectedVersion::Exactly(account.version()),
    );
    write.ctx.actor.clone_from(&caller.principal.subject);
    match state
        .decide::<Account>(&write, &id, write.expected, command)
        .await
    {
        Ok(_) => Ok(()),
        // Someone else's write came first; what it wrote stands.
        Err(problem) if problem.status() == axum::http::StatusCode::CONFLICT => Ok(()),
        Err(problem) => Err(problem),
    }
}

/// Save the caller's profile
///
/// Registers the caller's account on first use (201), from this body and the token's claims,
/// or changes its display name and email (200).
#[utoipa::path(put, path = "/me", tag = "accounts",
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "Changed", body = crate::write::Written),
        (status = 201, description = "Registered", body = crate::write::Written)))]
pub(crate) async fn put_me(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, Problem> {
    let write = Write::from_headers(&caller, &headers, "PUT /me")?.for_body(&body);
    let mut fields = Fields::new(body);
    let display_name = fields.text("display_name", DisplayName::MAX_CHARS, DisplayName::parse);
    let email = fields.optional_text("email", 254, Email::parse);
    let phone = fields.optional_text("phone", 16, Phone::parse);
    let locale = fields.optional_text("locale", 35, Locale::parse);
    let token_email = caller
        .principal
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok());
    let id = account_id(&caller)?;
    fields.finish()?;
    let (Some(display_name), Some(email), Some(phone), Some(locale)) =
        (display_name, email, phone, locale)
    else {
        return Err(Problem::bad_request("invalid body"));
    };
    // Well-formed, but this caller's token leaves nothing to fall back on.
    let Some(email) = email.or(token_email) else {
        let mut problem = state_conflict("the token carries no email: send one in `email`");
        problem.0.errors = vec![crate::problem::FieldError::new(
            "email",
            "is required: the token carries none",
        )];
        return Err(problem);
    };
    if let Some(accepted) = state.earlier::<Account>(&write, &id).await? {
        return Ok(respond(
            Uuid::nil(),
            accepted,
            None,
            Profile {
                subject: id.to_string(),
            },
        ));
    }
    let account = state
        .log()
        .load::<Account>(&id)
        .await
        .map_err(|e| Problem::fault("loading the account", &e))?;
    let (command, expected, location) = match account.state().email() {
        None => (
            RegisterAccount {
                email,
                display_name,
                roles: roles(&caller),
                phone,
                locale,
            }
            .into(),
            ExpectedVersion::Exactly(Version::INITIAL),
            Some("/me".to_owned()),
        ),
        Some(_) => (
            UpdateProfile {
                email,
                display_name,
                phone,
                locale,
            }
            .into(),
            ExpectedVersion::Exactly(account.version()),
            None,
        ),
    };
    let accepted = state
        .decide::<Account>(&write, &id, expected, command)
        .await?;
    Ok(respond(
        Uuid::nil(),
        accepted,
        location,
        Profile {
            subject: id.to_string(),
        },
    ))
}

/// Choose which messages to receive
///
/// Opts the caller's account out of exactly the categories named (registering the account from
/// the token first, as `PUT /me` does). Unsubscribe links in emails add to this set without
/// signing in.
#[utoipa::path(put, path = "/me/notification-preferences", tag = "accounts",
    request_body = OptOutsRequest,
    responses((status = 200, description = "Changed (or already so)", body = crate::write::Written)))]
pub(crate) async fn put_opt_outs(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, Problem> {
    let write =
        Write::from_headers(&caller, &headers, "PUT /me/notification-preferences")?.for_body(&body);
    let mut fields = Fields::new(body);
    let names = fields.strings("opted_out", OptOutCategory::ALL.len());
    let mut opted_out = BTreeSet::new();
    for (i, name) in names.iter().flatten().enumerate() {
        match OptOutCategory::parse(name) {
            Ok(category) => {
                opted_out.insert(category);
            }
            Err(_) => fields.reject(
                format!("opted_out[{i}]"),
                "must be account or marketing (critical messages cannot be opted out of)",
            ),
        }
    }
    let id = account_id(&caller)?;
    fields.finish()?;
    if let Some(accepted) = state.earlier::<Account>(&write, &id).await? {
        return Ok(respond(
            Uuid::nil(),
            accepted,
            None,
            Profile {
                subject: id.to_string(),
            },
        ));
    }
    ensure_account(&state, &caller).await?;
    let account = state
        .log()
        .load::<Account>(&id)
        .await
        .map_err(|e| Problem::fault("loading the account", &e))?;
    if account.state().email().is_none() {
        return Err(Problem::not_found(
            "no account yet: save your profile with PUT /me first",
        ));
    }
    let expected = match write.expected {
        ExpectedVersion::Any => ExpectedVersion::Exactly(account.version()),
        exact => exact,
    };
    let accepted = state
        .decide::<Account>(&write, &id, expected, SetOptOuts { opted_out }.into())
        .await?;
    Ok(respond(
        Uuid::nil(),
        accepted,
        None,
        Profile {
            subject: id.to_string(),
        },
    ))
}

/// What a profile write adds beside the written body: whose account it is (accounts are keyed
/// by the subject, not by a UUID: `id` is nil).
#[derive(serde::Serialize)]
struct Profile {
    subject: String,
}

/// A role admins may grant.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(crate) enum RoleName {
    #[serde(rename = "catalog-admin")]
    CatalogAdmin,
    #[serde(rename = "catalog-categories")]
    CatalogCategories,
    #[serde(rename = "catalog-genres")]
    CatalogGenres,
    #[serde(rename = "catalog-cast-members")]
    CatalogCastMembers,
    #[serde(rename = "catalog-videos")]
    CatalogVideos,
    #[serde(rename = "billing-plans")]
    BillingPlans,
    #[serde(rename = "billing-subscriptions")]
    BillingSubscriptions,
    #[serde(rename = "accounts-admin")]
    AccountsAdmin,
    #[serde(rename = "operations")]
    Operations,
    #[serde(rename = "viewer")]
    Viewer,
}

/// An account's roles.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct RolesRequest {
    /// Exactly the roles the account holds from now on (a role named twice counts once).
    #[schema(max_items = 16)]
    roles: Vec<RoleName>,
}

/// Change an account's roles
///
/// Grants exactly `roles` at the identity provider (the account's next token carries them: at
/// its next sign-in or refresh) and records `AccountRolesChanged`. Needs `accounts-admin`.
#[utoipa::path(put, path = "/accounts/{subject}/roles", tag = "accounts",
    params(("subject" = String, Path, description = "The account: the identity provider's subject",
        min_length = 1, max_length = 255, pattern = r"^[!-~]+$")),
    request_body = RolesRequest,
    responses((status = 200, description = "Changed", body = crate::write::Written)))]
pub(crate) async fn put_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(subject): Path<String>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, Problem> {
    caller.require(codeflix_auth::Role::Accounts)?;
    let id = AccountId::parse(&subject).map_err(|e| {
        Problem::validation(vec![crate::problem::FieldError::new(
            "subject",
            e.to_string(),
        )])
    })?;
    let write = Write::from_headers(&caller, &headers, &format!("PUT /accounts/{id}/roles"))?
        .for_body(&body);
    let grantable = codeflix_auth::grantable();
    let mut fields = Fields::new(body);
    let names = fields.strings("roles", 16);
    if let Some(names) = &names {
        for (i, name) in names.iter().enumerate() {
            if !grantable.contains(&name.as_str()) {
                fields.reject(
                    format!("roles[{i}]"),
                    format!("must be one of {}", grantable.join(", ")),
                );
            }
        }
    }
    fields.finish()?;
    let mut names = names.unwrap_or_default();
    names.sort();
    names.dedup();
    if let Some(accepted) = state.earlier::<Account>(&write, &id).await? {
        return Ok(respond(
            Uuid::nil(),
            accepted,
            None,
            Profile {
                subject: id.to_string(),
            },
        ));
    }
    let account = state
        .log()
        .load::<Account>(&id)
        .await
        .map_err(|e| Problem::fault("loading the account", &e))?;
    if account.state().email().is_none() {
        return Err(Problem::not_found(format!(
            "no account {id}: accounts are registered at their first use"
        )));
    }
    let admin = state.role_admin().ok_or_else(|| {
        Problem::unavailable(
            "role changes need the identity provider's admin API: configure \
             auth.admin_client_secret (and auth.admin_realm_url)",
        )
    })?;
    match admin.set_roles(id.as_str(), &names).await {
        Ok(()) => {}
        Err(RoleAdminError::UnknownSubject(_)) => {
            return Err(Problem::not_found(format!(
                "the identity provider has no user {id}"
            )));
        }
        Err(RoleAdminError::UnknownRole(role)) => {
            return Err(crate::write::reference_problem(
                "roles",
                format!("the identity provider defines no role {role}"),
            ));
        }
        Err(error @ RoleAdminError::Unavailable(_)) => {
            return Err(Problem::fault(
                "changing roles at the identity provider",
                &error,
            ));
        }
    }
    let roles = names
        .iter()
        .filter_map(|n| Role::parse(n).ok())
        .collect::<BTreeSet<_>>();
    let expected = match write.expected {
        ExpectedVersion::Any => ExpectedVersion::Exactly(account.version()),
        exact => exact,
    };
    let accepted = state
        .decide::<Account>(&write, &id, expected, ChangeRoles { roles }.into())
        .await?;
    Ok(respond(
        Uuid::nil(),
        accepted,
        None,
        Profile {
            subject: id.to_string(),
        },
    ))
}
