//! The delivery log: every email and SMS the notifier requested and how it went, from the
//! notifications context's own view. Customers see theirs; admins holding `accounts-admin` (the
//! log shows people's addresses) see all, filtered by status, channel, kind and account.

use codeflix_readmodel::store::Link;
use codeflix_readmodel::views::{NotificationView, account_doc_id};

use super::*;
use crate::model::NotificationPage;

const DELIVERY_STATUSES: [&str; 4] = ["REQUESTED", "ATTEMPTING", "SENT", "FAILED"];
const CHANNELS: [&str; 2] = ["EMAIL", "SMS"];
const NOTIFICATION_SORTS: [&str; 2] = ["created_at", "-created_at"];

/// Where a notification's delivery is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum DeliveryStatusParam {
    Requested,
    Attempting,
    Sent,
    Failed,
}

/// A notification's channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ChannelParam {
    Email,
    Sms,
}

/// Filters of the admins' delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct NotificationFilterParams {
    status: Option<DeliveryStatusParam>,
    channel: Option<ChannelParam>,
    /// The message, as `notifications/rules.toml` names it (`video-ready`, …).
    #[param(min_length = 1, max_length = 64, pattern = "^[a-z0-9][a-z0-9_.-]*$")]
    kind: Option<String>,
    /// Only this account's (the identity provider's subject).
    #[param(min_length = 1, max_length = 255)]
    account: Option<String>,
    /// `created_at` or `-created_at` (the default, newest first).
    #[param(pattern = "^-?created_at$")]
    sort: Option<String>,
}

impl QueryState {
    fn notifications_projection(&self) -> Projection<'_> {
        Projection {
            name: "notifications",
            store: self.notifications.as_ref(),
            topics: &self.notifications_topics,
        }
    }

    /// A page of the delivery log, once the request's consistency tokens are applied.
    async fn notifications_page(
        &self,
        tokens: &[Position],
        query: ListQuery,
    ) -> Result<NotificationPage, Problem> {
        self.waiters
            .wait(
                &[self.notifications_projection()],
                tokens,
                self.consistency_wait,
            )
            .await?;
        let page = self.notifications.list(&query).await.map_err(unavailable)?;
        Ok(NotificationPage {
            items: page
                .docs
                .into_iter()
                .filter_map(|d| match d {
                    Doc::Notification(n) => Some(n),
                    _ => None,
                })
                .collect::<Vec<NotificationView>>(),
            next_cursor: page.next.map(|c| c.encode()),
        })
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(
    get, path = "/me/notifications", tag = "me",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of notifications", body = NotificationPage))
)]
pub(crate) async fn my_notifications(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let principal = codeflix_http::auth::authenticate(&state.verifier, &headers).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let (after, limit) = page(&mut params);
    params.finish()?;
    let page = state
        .notifications_page(
            &tokens,
            ListQuery {
                audience: Audience::Admins,
                links: vec![Link::new("account", account_doc_id(&principal.subject))],
                sort: SortKey::CreatedAt,
                descending: true,
                after,
                limit,
                ..ListQuery::new(DocKind::Notification)
            },
        )
        .await?;
    Ok(cached(&headers, &page))
}

/// Every notification by status, channel, kind and account, newest first.
#[utoipa::path(
    get, path = "/admin/notifications", tag = "notifications",
    params(NotificationFilterParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of the delivery log", body = NotificationPage))
)]
pub(crate) async fn admin_list_notifications(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let principal = codeflix_http::auth::authenticate(&state.verifier, &headers).await?;
    codeflix_http::auth::require(&principal, Role::Accounts)?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let mut links = Vec::new();
    if let Some(status) = params.one_of("status", &DELIVERY_STATUSES) {
        links.push(Link::new("status", status));
    }
    if let Some(channel) = params.one_of("channel", &CHANNELS) {
        links.push(Link::new("channel", channel));
    }
    match params.text("kind", 64) {
        Some(kind)
            if kind.is_empty()
                || !kind.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)
                })
                || !kind.as_bytes()[0].is_ascii_alphanumeric() =>
        {
            params.error(
                "kind",
                "must be a message kind: a-z, 0-9 and _ . -, starting with a letter or digit",
            );
        }
        Some(kind) => links.push(Link::new("kind", kind)),
        None => {}
    }
    match params.text("account", 255) {
        Some(account) if account.is_empty() => {
            params.error("account", "must be an account's subject, not empty");
        }
        Some(account) => links.push(Link::new("account", account_doc_id(&account))),
        None => {}
    }
    let sort = params.one_of("sort", &NOTIFICATION_SORTS);
    let (after, limit) = page(&mut params);
    params.finish()?;
    let page = state
        .notifications_page(
            &tokens,
            ListQuery {
                audience: Audience::Admins,
                links,
                sort: SortKey::CreatedAt,
                descending: sort != Some("created_at"),
                after,
                limit,
                ..ListQuery::new(DocKind::Notification)
            },
        )
        .await?;
    Ok(cached(&headers, &page))
}
