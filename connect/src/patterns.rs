//! Java regular expressions as Kafka Connect uses them, on the `regex` crate.
//!
//! Connect matches topic patterns (`topics.regex`, `RegexRouter`, `TopicNameMatches`,
//! MirrorMaker's `topics`) with `Matcher.matches()`: the pattern must match the *whole* name, so
//! `orders` does not match `orders-eu`. Replacements follow `Matcher.appendReplacement`: `$1`
//! (digits taken while such a group exists), `${name}`, and `\` quoting the next character.
//!
//! The `regex` crate has no look-around and no back-references; a pattern that uses them is
//! refused when the configuration is validated, never half-applied.

use regex::{Captures, Regex};

/// `pattern` compiled to match whole names only.
pub fn whole(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| match e {
        regex::Error::Syntax(detail) => format!(
            "not a regular expression the embedded runtime supports (no look-around or \
             back-references): {}",
            detail.lines().last().unwrap_or_default().trim()
        ),
        other => other.to_string(),
    })
}

/// A comma-separated list of patterns (MirrorMaker's `topics`, `topics.exclude`): one pattern
/// that matches a whole name matching any of them, as `String.join("|", list)` makes it. An
/// empty list matches nothing.
pub fn any_of(list: &str) -> Result<Option<Regex>, String> {
    let items: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Ok(None);
    }
    whole(&items.join("|")).map(Some)
}

/// Expands a Java replacement string against `captures`; an error says what is wrong with the
/// replacement (Java's "Illegal group reference", "No group with name {x}").
pub fn replace(
    pattern: &Regex,
    captures: &Captures<'_>,
    replacement: &str,
) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(quoted) => out.push(quoted),
                None => return Err("character to be escaped is missing".to_owned()),
            },
            '$' => {
                if chars.peek() == Some(&'{') {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c.is_ascii_alphanumeric() => name.push(c),
                            _ => return Err("named capturing group is missing trailing '}'".into()),
                        }
                    }
                    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                        return Err("capturing group name must start with a letter".into());
                    }
                    match captures.name(&name) {
                        Some(m) => out.push_str(m.as_str()),
                        // A group of the pattern that took no part adds nothing.
                        None if pattern.capture_names().flatten().any(|n| n == name) => {}
                        None => return Err(format!("No group with name {{{name}}}")),
                    }
                } else {
                    let Some(first) = chars.peek().and_then(|c| c.to_digit(10)) else {
                        return Err("Illegal group reference".to_owned());
                    };
                    chars.next();
                    let mut group = first as usize;
                    if group >= captures.len() {
                        return Err(format!("No group {group}"));
                    }
                    // Java takes further digits while the larger number is still a group.
                    while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = group * 10 + digit as usize;
                        if longer >= captures.len() {
                            break;
                        }
                        group = longer;
                        chars.next();
                    }
                    if let Some(m) = captures.get(group) {
                        out.push_str(m.as_str());
                    }
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Checks a replacement against `pattern` before any record meets it: every `$n` and `${name}`
/// must name a group of the pattern.
pub fn check_replacement(pattern: &Regex, replacement: &str) -> Result<(), String> {
    let groups = pattern.captures_len();
    let names: Vec<&str> = pattern.capture_names().flatten().collect();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars
                    .next()
                    .ok_or_else(|| "character to be escaped is missing".to_owned())?;
            }
            '$' => {
                if chars.peek() == Some(&'{') {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if !names.contains(&name.as_str()) {
                        return Err(format!("No group with name {{{name}}}"));
                    }
                } else {
                    match chars.next().and_then(|c| c.to_digit(10)) {
                        Some(group) if (group as usize) < groups => {}
                        Some(group) => return Err(format!("No group {group}")),
                        None => return Err("Illegal group reference".to_owned()),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names_only() {
        let orders = whole("orders").unwrap();
        assert!(orders.is_match("orders"));
        assert!(!orders.is_match("orders-eu"));
        assert!(!orders.is_match("eu-orders"));
        let alternatives = whole("a|b").unwrap();
        assert!(alternatives.is_match("b"));
        assert!(!alternatives.is_match("ab"), "the alternation is grouped");
    }

    #[test]
    fn lists_join_patterns_and_an_empty_list_matches_nothing() {
        let list = any_of(" codeflix\\..*\\.state , other ").unwrap().unwrap();
        assert!(list.is_match("codeflix.subscriptions.subscription.state"));
        assert!(list.is_match("other"));
        assert!(!list.is_match("others"));
        assert!(any_of(" , ").unwrap().is_none());
    }

    #[test]
    fn unsupported_java_constructs_are_refused_with_a_reason() {
        let error = whole("(?<=a)b").unwrap_err();
        assert!(error.contains("look-around"), "{error}");
    }

    #[test]
    fn replacements_follow_java_group_references() {
        let re = whole("codeflix\\.(.*)\\.state").unwrap();
        let caps = re.captures("codeflix.billing.plan.state").unwrap();
        assert_eq!(replace(&re, &caps, "copy_$1").unwrap(), "copy_billing.plan");
        // `$1_x`: Java reads `$1` then `_x` (the regex crate would read a group `1_x`).
        assert_eq!(replace(&re, &caps, "$1_x").unwrap(), "billing.plan_x");
        // `$10` with one group is `$1` followed by `0`.
        assert_eq!(replace(&re, &caps, "$10").unwrap(), "billing.plan0");
        assert_eq!(replace(&re, &caps, "\\$1").unwrap(), "$1");
        assert_eq!(
            replace(&re, &caps, "$").unwrap_err(),
            "Illegal group reference"
        );
        assert_eq!(replace(&re, &caps, "$2").unwrap_err(), "No group 2");

        let named = whole("(?P<ctx>[a-z]+)\\.(?P<agg>[a-z]+)").unwrap();
        let caps = named.captures("billing.plan").unwrap();
        assert_eq!(
            replace(&named, &caps, "${agg}-${ctx}").unwrap(),
            "plan-billing"
        );
    }

    #[test]
    fn replacements_are_checked_against_the_pattern_up_front() {
        let re = whole("(a)(?P<b>b)").unwrap();
        assert!(check_replacement(&re, "$1${b}$2").is_ok());
        assert_eq!(check_replacement(&re, "$3").unwrap_err(), "No group 3");
        assert_eq!(
            check_replacement(&re, "${c}").unwrap_err(),
            "No group with name {c}"
        );
        assert_eq!(
            check_replacement(&re, "x$").unwrap_err(),
            "Illegal group reference"
        );
    }
}
