//! Every template of every message renders with exactly the variables the notifier gives for
//! the facts its rule names — in every locale it has, undefined variables an error — and the
//! rules file in the repository is valid.

use std::collections::BTreeMap;

use codeflix_domain::catalog::video::{
    MediaId, MediaProcessingCompleted, MediaProcessingFailed, MediaSlot, VideoEvent,
};
use codeflix_domain::notifications::Channel;
use codeflix_domain::subscriptions::BillingPeriod;
use codeflix_domain::subscriptions::plan::PlanId;
use codeflix_domain::subscriptions::subscription::{
    SubscriptionCanceled, SubscriptionEvent, SubscriptionExpired, SubscriptionPastDue,
    SubscriptionPaymentRetryFailed, SubscriptionRenewed, SubscriptionStarted, SubscriptionStatus,
    SubscriptionTrialEnding,
};
use codeflix_domain::{AggregateType, AnyEvent, Timestamp};
use codeflix_notifier::facts::{self, Context};
use codeflix_notifier::templates::TemplateError;
use codeflix_notifier::{Category, Rules, Templates};
use uuid::Uuid;

/// An event of the type a rule names, with every field filled in.
fn sample(fact: &str) -> AnyEvent {
    let media_id = MediaId::new(Uuid::from_u128(7));
    match fact {
        "catalog.video.MediaProcessingCompleted" => {
            VideoEvent::MediaProcessingCompleted(MediaProcessingCompleted {
                media_id,
                slot: MediaSlot::Video,
                encoded_location: "file:///media/encoded/master.m3u8".to_owned(),
            })
            .into()
        }
        "catalog.video.MediaProcessingFailed" => {
            VideoEvent::MediaProcessingFailed(MediaProcessingFailed {
                media_id,
                slot: MediaSlot::Trailer,
                reason: "ffmpeg: moov atom not found".to_owned(),
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionStarted" => {
            SubscriptionEvent::SubscriptionStarted(SubscriptionStarted {
                account_id: "ana".to_owned(),
                plan_id: PlanId::new(Uuid::from_u128(9)),
                amount_minor: 2990,
                currency: "BRL".to_owned(),
                billing_period: BillingPeriod::Monthly,
                status: SubscriptionStatus::Trialing,
                started_at: at("2026-12-01T10:00:00Z"),
                trial_ends_at: Some(at("2026-12-08T10:00:00Z")),
                due_date: at("2026-12-08T10:00:00Z"),
                payment_failure: None,
                payment_method: Some("card_4242424242424242".to_owned()),
                charge_id: None,
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionRenewed" => {
            SubscriptionEvent::SubscriptionRenewed(SubscriptionRenewed {
                renewal: 1,
                paid_at: at("2027-01-01T10:00:00Z"),
                amount_minor: 2990,
                currency: "BRL".to_owned(),
                period_start: at("2027-01-01T10:00:00Z"),
                period_end: at("2027-02-01T10:00:00Z"),
                charge_id: Some("ch_1".to_owned()),
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionPastDue" => {
            SubscriptionEvent::SubscriptionPastDue(SubscriptionPastDue {
                failed_at: at("2027-01-01T10:00:00Z"),
                reason: "insufficient_funds".to_owned(),
                attempt: 1,
                next_attempt_at: Some(at("2027-01-02T10:00:00Z")),
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionPaymentRetryFailed" => {
            SubscriptionEvent::SubscriptionPaymentRetryFailed(SubscriptionPaymentRetryFailed {
                attempt: 2,
                failed_at: at("2027-01-02T10:00:00Z"),
                reason: "insufficient_funds".to_owned(),
                next_attempt_at: None,
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionCanceled" => {
            SubscriptionEvent::SubscriptionCanceled(SubscriptionCanceled {
                canceled_at: at("2026-12-10T10:00:00Z"),
                ends_at: at("2027-01-01T10:00:00Z"),
                reason: Some("Too many <b>ads</b>".to_owned()),
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionTrialEnding" => {
            SubscriptionEvent::SubscriptionTrialEnding(SubscriptionTrialEnding {
                noted_at: at("2026-12-05T10:00:00Z"),
                trial_ends_at: at("2026-12-08T10:00:00Z"),
            })
            .into()
        }
        "subscriptions.subscription.SubscriptionExpired" => {
            SubscriptionEvent::SubscriptionExpired(SubscriptionExpired {
                expired_at: at("2027-01-08T10:00:00Z"),
            })
            .into()
        }
        other => panic!("add a sample of {other} to this test"),
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const UNSUBSCRIBE: &str = "http://127.0.0.1:8080/unsubscribe?token=v1.YW5h.account.c2ln";

/// What the notifier knows besides the fact, for a message of `category` in `locale`.
fn context(locale: &str, category: Category) -> Context {
    Context {
        name: "Ana <admin>".to_owned(),
        title: Some("Central do Brasil & friends".to_owned()),
        console_url: "http://127.0.0.1:8080/admin".to_owned(),
        account_url: "http://127.0.0.1:8082/me/subscription".to_owned(),
        locale: locale.to_owned(),
        unsubscribe_url: category.opt_out().map(|_| UNSUBSCRIBE.to_owned()),
    }
}

#[test]
fn every_template_of_every_message_renders_with_the_variables_its_facts_give() {
    let rules = Rules::builtin();
    let templates = Templates::new(None);
    let locales = Templates::builtin_locales();
    let mut rendered = 0;
    for rule in rules.iter() {
        let kind = rule.kind.as_str();
        let theirs: Vec<&str> = locales
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, l)| l.as_str())
            .collect();
        assert!(
            theirs.contains(&"en"),
            "{kind} has no templates in en: {locales:?}"
        );
        let has_sms = |locale: &str| {
            Templates::builtin_files()
                .iter()
                .any(|f| *f == format!("{kind}/{locale}/sms.txt"))
        };
        for locale in theirs {
            let vars = facts::variables(
                "video-1",
                &sample(&rule.fact()),
                &context(locale, rule.category),
            );
            // Every part the repository has is rendered, whether or not a rule sends it yet.
            let mut channels = vec![Channel::Email];
            if has_sms(locale) {
                channels.push(Channel::Sms);
            } else {
                assert!(
                    !rule.channels.contains(&Channel::Sms) || locale != "en",
                    "{kind}: no sms.txt"
                );
            }
            for channel in &channels {
                match channel {
                    Channel::Email => {
                        let email = templates
                            .email(kind, locale, &vars)
                            .unwrap_or_else(|e| panic!("{kind}/{locale}: {e}"));
                        assert!(!email.subject.is_empty() && !email.subject.contains('\n'));
                        assert!(!email.subject.contains("{{"), "{}", email.subject);
                        // Inserted text is escaped in HTML, not in plain text.
                        assert!(email.text.contains("Ana <admin>,"), "{kind}/{locale}");
                        assert!(email.html.contains("Ana &lt;admin&gt;"), "{kind}/{locale}");
                        // minijinja escapes '/' too: a link is the same once the HTML is read.
                        let html = email.html.replace("&#x2f;", "/");
                        let link = if rule.aggregate == AggregateType::Video {
                            assert!(email.text.contains("Central do Brasil & friends"));
                            assert!(html.contains("Central do Brasil &amp; friends"));
                            "http://127.0.0.1:8080/admin/videos/video-1"
                        } else {
                            "http://127.0.0.1:8082/me/subscription"
                        };
                        assert!(email.text.contains(link), "{kind}/{locale}: {}", email.text);
                        assert!(
                            html.contains(&format!("href=\"{link}\"")),
                            "{kind}/{locale}"
                        );
                        // What may be opted out of says how, in both parts.
                        if rule.category.opt_out().is_some() {
                            assert!(email.text.contains(UNSUBSCRIBE), "{kind}/{locale}");
                            assert!(
                                html.contains(&format!("href=\"{UNSUBSCRIBE}\"")),
                                "{kind}/{locale}: {html}"
                            );
                        }
                        // Nothing English is left in a translation's words.
                        if locale == "pt-BR" {
                            for english in [" monthly", " trialing", "BRL ", "Hello", "do video "] {
                                assert!(
                                    !email.text.contains(english),
                                    "{kind}/{locale}: {english:?} in {}",
                                    email.text
                                );
                            }
                        }
                    }
                    Channel::Sms => {
                        let text = templates
                            .sms(kind, locale, &vars)
                            .unwrap_or_else(|e| panic!("{kind}/{locale}: {e}"));
                        assert!(!text.is_empty() && text.chars().count() <= 320, "{text}");
                    }
                }
                rendered += 1;
            }
        }
    }
    assert!(rendered >= 16, "rendered {rendered} messages");
}

#[test]
fn a_variable_the_facts_do_not_give_is_an_error_not_a_blank() {
    let dir = tempfile::tempdir().unwrap();
    let en = dir.path().join("video-ready/en");
    std::fs::create_dir_all(&en).unwrap();
    std::fs::write(en.join("subject.txt"), "Ready: {{ title }}").unwrap();
    std::fs::write(en.join("body.txt"), "Hello {{ nickname }}").unwrap();
    std::fs::write(en.join("body.html"), "<p>{{ title }}</p>").unwrap();
    let templates = Templates::new(Some(dir.path().to_owned()));
    let vars = BTreeMap::from([("title".to_owned(), "Bars".to_owned())]);
    match templates.email("video-ready", "en", &vars) {
        Err(TemplateError::Render { name, detail }) => {
            assert_eq!(name, "video-ready/en/body.txt");
            assert!(detail.contains("undefined"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // An operator's wording is read from the directory at run time; a locale it lacks falls
    // back to en.
    std::fs::write(en.join("body.txt"), "Hi {{ title }}").unwrap();
    let email = Templates::new(Some(dir.path().to_owned()))
        .email("video-ready", "fr", &vars)
        .unwrap();
    assert_eq!(email.subject, "Ready: Bars");
    assert_eq!(email.text, "Hi Bars");
    assert!(matches!(
        templates.email("video-gone", "en", &vars),
        Err(TemplateError::Missing(_))
    ));
}

#[test]
fn the_rules_file_names_known_facts_and_a_wrong_one_is_refused_with_every_problem() {
    let rules = Rules::builtin();
    assert!(rules.iter().any(|r| r.kind.as_str() == "video-ready"));
    let wrong = r#"
[[message]]
kind = "video-ready"
on = "catalog.video.MediaExploded"
to = "uploader"
category = "account"
channels = ["email", "fax"]

[[message]]
kind = "Welcome!"
on = "catalog.video.MediaProcessingCompleted"
to = "subscriber"
category = "account"
channels = []

[[message]]
kind = "welcome"
on = "subscriptions.subscription.SubscriptionStarted"
to = "payer"
category = "critical"
channels = ["email"]
"#;
    let problems = Rules::parse(wrong).unwrap_err().problems;
    let all = problems.join("\n");
    for expected in [
        "message 1 (\"video-ready\"): on: catalog.video has no event \"MediaExploded\"",
        "message 1 (\"video-ready\"): channels: unknown channel \"fax\"",
        "message 2 (\"Welcome!\"): kind:",
        "message 2 (\"Welcome!\"): to: the subscriber of catalog.video.MediaProcessingCompleted cannot be found",
        "message 3 (\"welcome\"): to: unknown audience \"payer\"",
        "message 2 (\"Welcome!\"): channels: at least one",
    ] {
        assert!(all.contains(expected), "{expected:?} not in:\n{all}");
    }
    let typo = Rules::parse("[[message]]\nkind = \"a\"\nonn = \"x\"\n").unwrap_err();
    assert!(typo.problems[0].contains("onn"), "{typo:?}");
}

#[test]
fn a_recipients_locale_finds_the_closest_translation() {
    let templates = Templates::new(None);
    let resolve = |wanted: &str| templates.resolve("video-ready", wanted, Channel::Email);
    assert_eq!(resolve("pt-BR"), "pt-BR");
    // Same language, another region: the translation there is.
    assert_eq!(resolve("pt-PT"), "pt-BR");
    assert_eq!(resolve("pt"), "pt-BR");
    assert_eq!(resolve("fr-CA"), "en");
    // Never read as a path.
    assert_eq!(resolve("../../etc"), "en");
    // A welcome in Portuguese is written as Brazil writes money and days.
    let rules = Rules::builtin();
    let welcome = rules
        .iter()
        .find(|r| r.kind.as_str() == "subscription-welcome")
        .unwrap();
    let vars = facts::variables(
        "s-1",
        &sample(&welcome.fact()),
        &context("pt-BR", welcome.category),
    );
    let email = templates
        .email("subscription-welcome", "pt-BR", &vars)
        .unwrap();
    assert!(email.text.contains("R$ 29,90"), "{}", email.text);
    assert!(email.text.contains("08/12/2026"), "{}", email.text);
    assert!(email.text.contains("mensal"), "{}", email.text);
    assert!(
        !vars.contains_key("unsubscribe_url"),
        "critical: no opt-out"
    );
}
