//! Plans, the signed-in customer's account and subscriptions, and the admins' views of plans,
//! subscriptions and accounts: read from the subscriptions context's views.

use codeflix_auth::Principal;
use codeflix_readmodel::store::Link;
use codeflix_readmodel::views::{AccountView, PlanView, SubscriptionView, account_doc_id};

use super::*;
use crate::model::{Access, AccountPage, Me, Plan, PlanPage, Subscription, SubscriptionPage};

const STATUSES: [&str; 6] = [
    "TRIALING",
    "ACTIVE",
    "PAST_DUE",
    "CANCELED",
    "EXPIRED",
    "INCOMPLETE",
];

const SUBSCRIPTION_SORTS: [&str; 4] = ["created_at", "-created_at", "next_due", "-next_due"];

/// A subscription's lifecycle status, as filters take it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum StatusParam {
    Trialing,
    Active,
    PastDue,
    Canceled,
    Expired,
    Incomplete,
}

/// Filters of the admins' subscription list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SubscriptionFilterParams {
    status: Option<StatusParam>,
    /// Only subscriptions to this plan.
    plan: Option<Uuid>,
    /// Only this account's (the identity provider's subject).
    #[param(min_length = 1, max_length = 255)]
    account: Option<String>,
    /// `created_at`, `-created_at` (the default, newest first), `next_due` or `-next_due`.
    #[param(pattern = "^-?(created_at|next_due)$")]
    sort: Option<String>,
}

/// The search of the admins' account list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct AccountSearchParams {
    /// Accounts whose email starts with this (case-insensitive).
    #[param(max_length = 254)]
    q: Option<String>,
}

impl QueryState {
    fn billing_projection(&self) -> Projection<'_> {
        Projection {
            name: "billing",
            store: self.billing.as_ref(),
            topics: &self.billing_topics,
        }
    }

    /// A page of the billing views, once the request's consistency tokens are applied.
    async fn billing_page(
        &self,
        tokens: &[Position],
        query: ListQuery,
    ) -> Result<(Vec<Doc>, Option<String>), Problem> {
        self.waiters
            .wait(&[self.billing_projection()], tokens, self.consistency_wait)
            .await?;
        let page = self.billing.list(&query).await.map_err(unavailable)?;
        Ok((page.docs, page.next.map(|c| c.encode())))
    }

    /// One billing document, once the request's consistency tokens are applied.
    async fn billing_doc(&self, tokens: &[Position], key: DocKey) -> Result<Option<Doc>, Problem> {
        self.waiters
            .wait(&[self.billing_projection()], tokens, self.consistency_wait)
            .await?;
        Ok(self
            .billing
            .load(&[key])
            .await
            .map_err(unavailable)?
            .into_iter()
            .next())
    }

    /// Subscriptions with their plans' names and what they grant now.
    async fn subscriptions(
        &self,
        views: Vec<SubscriptionView>,
    ) -> Result<Vec<Subscription>, Problem> {
        let mut keys: Vec<DocKey> = views
            .iter()
            .map(|s| DocKey {
                kind: DocKind::Plan,
                id: s.plan_id,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let plans: Vec<PlanView> = self
            .billing
            .load(&keys)
            .await
            .map_err(unavailable)?
            .into_iter()
            .filter_map(|d| match d {
                Doc::Plan(p) => Some(p),
                _ => None,
            })
            .collect();
        let now = crate::playback::now();
        Ok(views
            .into_iter()
            .map(|s| Subscription {
                plan_name: plans
                    .iter()
                    .find(|p| p.id == s.plan_id)
                    .map(|p| p.name.clone()),
                access: Access {
                    granted: s.grants_access_at(now),
                    until: s.access_ends_at.clone(),
                },
                subscription: s,
            })
            .collect())
    }
}

fn plan(doc: Doc) -> Option<Plan> {
    match doc {
        Doc::Plan(p) => Some(p.into()),
        _ => None,
    }
}

fn subscription(doc: Doc) -> Option<SubscriptionView> {
    match doc {
        Doc::Subscription(s) => Some(*s),
        _ => None,
    }
}

/// 401 without a valid bearer token.
async fn signed_in(state: &QueryState, headers: &HeaderMap) -> Result<Principal, Problem> {
    codeflix_http::auth::authenticate(&state.verifier, headers).await
}

/// 401 without a valid bearer token, 403 without `role` (or `catalog-admin`).
async fn admin(state: &QueryState, headers: &HeaderMap, role: Role) -> Result<(), Problem> {
    let principal = signed_in(state, headers).await?;
    codeflix_http::auth::require(&principal, role)
}

/// The plans customers may subscribe to, by name.
#[utoipa::path(
    get, path = "/plans", tag = "plans",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of active plans", body = PlanPage))
)]
pub(crate) async fn list_plans(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    plans(&state, &headers, pairs, Audience::Viewers).await
}

/// Every plan, retired ones too, by name.
#[utoipa::path(
    get, path = "/admin/plans", tag = "billing",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of plans", body = PlanPage))
)]
pub(crate) async fn admin_list_plans(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers, Role::Plans).await?;
    plans(&state, &headers, pairs, Audience::Admins).await
}

async fn plans(
    state: &QueryState,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
    audience: Audience,
) -> Result<Response, Problem> {
    let mut params = Params::new(pairs);
    let tokens = tokens(headers, &mut params);
    let (after, limit) = page(&mut params);
    params.finish()?;
    let (docs, next_cursor) = state
        .billing_page(
            &tokens,
            ListQuery {
                audience,
                after,
                limit,
                ..ListQuery::new(DocKind::Plan)
            },
        )
        .await?;
    let items = docs.into_iter().filter_map(plan).collect();
    Ok(cached(headers, &PlanPage { items, next_cursor }))
}

/// An active plan.
#[utoipa::path(
    get, path = "/plans/{id}", tag = "plans",
    params(("id" = Uuid, Path, description = "The plan's id"), ConsistencyParams),
    responses((status = 200, description = "The plan", body = Plan))
)]
pub(crate) async fn get_plan(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let id = path_id(&id, &mut params);
    params.finish()?;
    let id = id.ok_or_else(|| Problem::bad_request("id must be a UUID"))?;
    let doc = state
        .billing_doc(
            &tokens,
            DocKey {
                kind: DocKind::Plan,
                id,
            },
        )
        .await?
        .filter(Doc::visible)
        .and_then(plan)
        .ok_or_else(|| Problem::not_found(format!("no active plan {id}")))?;
    Ok(cached(&headers, &doc))
}

/// Who the token says the caller is, and their account once registered.
#[utoipa::path(
    get, path = "/me", tag = "me",
    params(ConsistencyParams),
    responses((status = 200, description = "The caller", body = Me))
)]
pub(crate) async fn me(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let principal = signed_in(&state, &headers).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    params.finish()?;
    let account = state
        .billing_doc(
            &tokens,
            DocKey {
                kind: DocKind::Account,
                id: account_doc_id(&principal.subject),
            },
        )
        .await?
        .and_then(|doc| match doc {
            Doc::Account(a) => Some(a),
            _ => None,
        });
    let me = Me {
        subject: principal.subject,
        email: principal.email,
        name: principal.name,
        roles: principal.roles.into_iter().collect(),
        account,
    };
    Ok(cached(&headers, &me))
}

/// The caller's subscriptions, newest first.
async fn mine(
    state: &QueryState,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
) -> Result<(Vec<Subscription>, Option<String>), Problem> {
    let principal = signed_in(state, headers).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(headers, &mut params);
    let (after, limit) = page(&mut params);
    params.finish()?;
    let (docs, next) = state
        .billing_page(
            &tokens,
            ListQuery {
                audience: Audience::Admins,
                links: vec![Link::new("account", account_doc_id(&principal.subject))],
                sort: SortKey::CreatedAt,
                descending: true,
                after,
                limit,
                ..ListQuery::new(DocKind::Subscription)
            },
        )
        .await?;
    let views = docs.into_iter().filter_map(subscription).collect();
    Ok((state.subscriptions(views).await?, next))
}

/// The caller's subscriptions, newest first: status, price, what they grant now, receipts and
/// failed payments, and their timeline.
#[utoipa::path(
    get, path = "/me/subscriptions", tag = "me",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of subscriptions", body = SubscriptionPage))
)]
pub(crate) async fn my_subscriptions(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (items, next_cursor) = mine(&state, &headers, pairs).await?;
    Ok(cached(&headers, &SubscriptionPage { items, next_cursor }))
}

/// The caller's current subscription: the newest that grants access now, else the newest.
#[utoipa::path(
    get, path = "/me/subscription", tag = "me",
    params(ConsistencyParams),
    responses((status = 200, description = "The subscription", body = Subscription))
)]
pub(crate) async fn my_subscription(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (items, _) = mine(&state, &headers, pairs).await?;
    let current = items
        .iter()
        .position(|s| s.access.granted)
        .or((!items.is_empty()).then_some(0))
        .and_then(|at| items.into_iter().nth(at))
        .ok_or_else(|| {
            Problem::not_found(
                "no subscription: subscribe to a plan (GET /plans, then POST /subscriptions on \
                 the command API)",
            )
        })?;
    Ok(cached(&headers, &current))
}

/// Subscriptions by status, plan and account, newest first (or by when something is due).
#[utoipa::path(
    get, path = "/admin/subscriptions", tag = "billing",
    params(SubscriptionFilterParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of subscriptions", body = SubscriptionPage))
)]
pub(crate) async fn admin_list_subscriptions(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers, Role::Subscriptions).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let mut links = Vec::new();
    if let Some(status) = params.one_of("status", &STATUSES) {
        links.push(Link::new("status", status));
    }
    if let Some(plan) = params.uuid("plan") {
        links.push(Link::new("plan", plan));
    }
    match params.text("account", 255) {
        Some(account) if account.is_empty() => {
            params.error("account", "must be an account's subject, not empty");
        }
        Some(account) => links.push(Link::new("account", account_doc_id(&account))),
        None => {}
    }
    let sort = params.one_of("sort", &SUBSCRIPTION_SORTS);
    let (after, limit) = page(&mut params);
    params.finish()?;
    let (sort, descending) = match sort.unwrap_or("-created_at") {
        "created_at" => (SortKey::CreatedAt, false),
        "next_due" => (SortKey::Due, false),
        "-next_due" => (SortKey::Due, true),
        _ => (SortKey::CreatedAt, true),
    };
    let (docs, next_cursor) = state
        .billing_page(
            &tokens,
            ListQuery {
                audience: Audience::Admins,
                links,
                sort,
                descending,
                after,
                limit,
                ..ListQuery::new(DocKind::Subscription)
            },
        )
        .await?;
    let views = docs.into_iter().filter_map(subscription).collect();
    let items = state.subscriptions(views).await?;
    Ok(cached(&headers, &SubscriptionPage { items, next_cursor }))
}

/// One subscription with its payments and timeline.
#[utoipa::path(
    get, path = "/admin/subscriptions/{id}", tag = "billing",
    params(("id" = Uuid, Path, description = "The subscription's id"), ConsistencyParams),
    responses((status = 200, description = "The subscription", body = Subscription))
)]
pub(crate) async fn admin_get_subscription(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers, Role::Subscriptions).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let id = path_id(&id, &mut params);
    params.finish()?;
    let id = id.ok_or_else(|| Problem::bad_request("id must be a UUID"))?;
    let view = state
        .billing_doc(
            &tokens,
            DocKey {
                kind: DocKind::Subscription,
                id,
            },
        )
        .await?
        .and_then(subscription)
        .ok_or_else(|| Problem::not_found(format!("no subscription {id}")))?;
    let item = state
        .subscriptions(vec![view])
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found(format!("no subscription {id}")))?;
    Ok(cached(&headers, &item))
}

/// Accounts by email; `q` finds those whose email starts with it.
#[utoipa::path(
    get, path = "/admin/accounts", tag = "billing",
    params(AccountSearchParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of accounts", body = AccountPage))
)]
pub(crate) async fn admin_list_accounts(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers, Role::Subscriptions).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let prefix = params
        .text("q", 254)
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let (after, limit) = page(&mut params);
    params.finish()?;
    // Emails sort as names do: a prefix starts at itself and ends at the first that lacks it.
    let after = after.or_else(|| {
        prefix.as_ref().map(|q| Cursor {
            value: q.clone(),
            id: Uuid::nil(),
        })
    });
    let (docs, next_cursor) = state
        .billing_page(
            &tokens,
            ListQuery {
                audience: Audience::Admins,
                after,
                limit,
                ..ListQuery::new(DocKind::Account)
            },
        )
        .await?;
    let total = docs.len();
    let items: Vec<AccountView> = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::Account(a) => Some(a),
            _ => None,
        })
        .take_while(|a| {
            prefix
                .as_ref()
                .is_none_or(|q| a.email.to_lowercase().starts_with(q))
        })
        .collect();
    let next_cursor = next_cursor.filter(|_| items.len() == total);
    Ok(cached(&headers, &AccountPage { items, next_cursor }))
}
