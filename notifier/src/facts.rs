//! What a message says about the fact that triggered it: the variables its templates get.
//! Every template is rendered in the tests with the variables this module gives for each fact
//! its rule names, with undefined variables an error.

use std::collections::BTreeMap;

use codeflix_domain::AnyEvent;
use codeflix_domain::catalog::video::VideoEvent;

/// What the notifier knows besides the event when it writes to someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The recipient's display name (from the accounts context's contacts).
    pub name: String,
    /// The video's title (from the catalog's titles), for video facts.
    pub title: Option<String>,
    /// Where the admin console is, for links in messages to admins.
    pub console_url: String,
}

/// The variables of a message about `event`, aggregate `aggregate_id`.
pub fn variables(
    aggregate_id: &str,
    event: &AnyEvent,
    context: &Context,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([
        ("name".to_owned(), context.name.clone()),
        ("console_url".to_owned(), context.console_url.clone()),
    ]);
    if let AnyEvent::Video(video) = event {
        vars.insert("video_id".to_owned(), aggregate_id.to_owned());
        vars.insert(
            "title".to_owned(),
            context
                .title
                .clone()
                .unwrap_or_else(|| "your video".to_owned()),
        );
        vars.insert(
            "video_url".to_owned(),
            format!(
                "{}/videos/{aggregate_id}",
                context.console_url.trim_end_matches('/')
            ),
        );
        match video {
            VideoEvent::MediaProcessingCompleted(done) => {
                vars.insert("slot".to_owned(), done.slot.as_str().to_lowercase());
            }
            VideoEvent::MediaProcessingFailed(failed) => {
                vars.insert("slot".to_owned(), failed.slot.as_str().to_lowercase());
                vars.insert("reason".to_owned(), failed.reason.clone());
            }
            _ => {}
        }
    }
    vars
}
