//! Names to sets and back, with the errors Onezone reports for privilege lists.

use std::fmt;
use std::marker::PhantomData;

use serde_json::Value;

use super::{Privileges, Vocabulary};

/// A single privilege name that the parser refused.
///
/// ```
/// use privgraph::privileges::{HandlePrivileges, Privileges, PrivilegeNameError, Vocabulary};
///
/// let err = HandlePrivileges::parse_name("handle_view_data").unwrap_err();
/// assert!(matches!(err, PrivilegeNameError::Legacy { current: "handle_view", .. }));
/// assert_eq!(HandlePrivileges::parse_legacy_name("handle_view_data"), Ok(HandlePrivileges::HANDLE_VIEW));
///
/// let err = HandlePrivileges::parse_name("space_view").unwrap_err();
/// assert_eq!(err, PrivilegeNameError::Unknown { value: "space_view".into(), vocabulary: Vocabulary::Handle });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivilegeNameError {
    /// The name is not a privilege of this vocabulary (nor a legacy alias, where the
    /// legacy parser was used).
    #[error("`{value}` is not a {vocabulary} privilege")]
    Unknown {
        /// The refused name, as given.
        value: String,
        /// The vocabulary it was looked up in.
        vocabulary: Vocabulary,
    },
    /// The name is a legacy v3 name, which only the legacy parser accepts.
    #[error(
        "`{value}` is a legacy v3 {vocabulary} privilege name (now `{current}`); \
         only the legacy parser accepts it"
    )]
    Legacy {
        /// The refused legacy name.
        value: String,
        /// The vocabulary it belongs to.
        vocabulary: Vocabulary,
        /// The current name it translates to.
        current: &'static str,
    },
}

/// A JSON privilege list that Onezone would refuse, with the facts Onezone reports.
///
/// The `logic` layer maps [`NotListOfStrings`](Self::NotListOfStrings) to
/// `badValueListOfStrings` and [`NotAllowed`](Self::NotAllowed) to
/// `badValueListNotAllowed`.
///
/// ```
/// use privgraph::privileges::{GroupPrivileges, Privileges, PrivilegeListError};
/// use serde_json::json;
///
/// let err = GroupPrivileges::parse_list("grant", &json!("group_view")).unwrap_err();
/// assert!(matches!(err, PrivilegeListError::NotListOfStrings { ref key, .. } if key == "grant"));
///
/// let err = GroupPrivileges::parse_list("revoke", &json!(["group_view", "GROUP_VIEW"])).unwrap_err();
/// match err {
///     PrivilegeListError::NotAllowed { key, allowed, .. } => {
///         assert_eq!(key, "revoke");
///         assert_eq!(allowed.len(), 23);
///     }
///     other => panic!("unexpected {other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrivilegeListError {
    /// The value is not an array, or an element is a number, object or array.
    #[error("bad value: provided \"{key}\" must be a list of strings")]
    NotListOfStrings {
        /// The body key that held the list.
        key: String,
        /// The offending value: the whole value when it is not an array, else the first
        /// element that is not string-like.
        value: Value,
    },
    /// An element is a string (or `true`/`false`/`null`, which Onezone reads as the
    /// strings `"true"`, `"false"`, `"null"`) outside the vocabulary.
    #[error(
        "bad value: provided \"{key}\" must be a list containing only allowed values ({reason})"
    )]
    NotAllowed {
        /// The body key that held the list.
        key: String,
        /// Why the first refused element was refused (it carries the element).
        reason: PrivilegeNameError,
        /// Every name of the vocabulary, sorted.
        allowed: &'static [&'static str],
    },
}

impl PrivilegeListError {
    /// The body key the error is about.
    ///
    /// ```
    /// use privgraph::privileges::{HandlePrivileges, Privileges};
    /// let err = HandlePrivileges::parse_list("privileges", &serde_json::json!(3)).unwrap_err();
    /// assert_eq!(err.key(), "privileges");
    /// ```
    pub fn key(&self) -> &str {
        match self {
            PrivilegeListError::NotListOfStrings { key, .. }
            | PrivilegeListError::NotAllowed { key, .. } => key,
        }
    }
}

pub(super) fn parse_name<P: Privileges>(
    name: &str,
    legacy_ok: bool,
) -> Result<P, PrivilegeNameError> {
    if let Some(flag) = P::from_onezone_name(name) {
        return Ok(flag);
    }
    match P::LEGACY.iter().find(|(legacy, _)| *legacy == name) {
        Some((_, flag)) if legacy_ok => Ok(*flag),
        Some((_, flag)) => Err(PrivilegeNameError::Legacy {
            value: name.to_owned(),
            vocabulary: P::VOCABULARY,
            current: flag.name().unwrap_or_default(),
        }),
        None => Err(PrivilegeNameError::Unknown {
            value: name.to_owned(),
            vocabulary: P::VOCABULARY,
        }),
    }
}

/// Onezone's sanitizer checks the type of the whole list before any value, so a
/// number anywhere wins over an unknown name anywhere.
pub(super) fn parse_list<P: Privileges>(
    key: &str,
    value: &Value,
    legacy_ok: bool,
) -> Result<P, PrivilegeListError> {
    let not_list = |value: &Value| PrivilegeListError::NotListOfStrings {
        key: key.to_owned(),
        value: value.clone(),
    };
    let Value::Array(items) = value else {
        return Err(not_list(value));
    };
    if let Some(bad) = items
        .iter()
        .find(|item| matches!(item, Value::Number(_) | Value::Object(_) | Value::Array(_)))
    {
        return Err(not_list(bad));
    }
    let mut set = P::empty();
    for item in items {
        let text = match item {
            Value::String(s) => s.as_str(),
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            _ => "null",
        };
        match parse_name::<P>(text, legacy_ok) {
            Ok(flag) => set.insert(flag),
            Err(reason) => {
                return Err(PrivilegeListError::NotAllowed {
                    key: key.to_owned(),
                    reason,
                    allowed: P::NAMES,
                });
            }
        }
    }
    Ok(set)
}

pub(super) fn write_names<P: Privileges>(set: P, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, name) in set.names().enumerate() {
        if i > 0 {
            f.write_str(" | ")?;
        }
        f.write_str(name)?;
    }
    Ok(())
}

pub(super) fn parse_joined<P: Privileges>(text: &str) -> Result<P, PrivilegeNameError> {
    let mut set = P::empty();
    if text.trim().is_empty() {
        return Ok(set);
    }
    for part in text.split('|') {
        set.insert(parse_name::<P>(part.trim(), false)?);
    }
    Ok(set)
}

/// Serde visitor reading a sequence of current names into a set.
pub(super) struct SetVisitor<P>(PhantomData<P>);

impl<P> SetVisitor<P> {
    pub(super) fn new() -> Self {
        SetVisitor(PhantomData)
    }
}

impl<'de, P: Privileges> serde::de::Visitor<'de> for SetVisitor<P> {
    type Value = P;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of {} privilege names", P::VOCABULARY)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<P, A::Error> {
        let mut set = P::empty();
        while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
            set.insert(parse_name::<P>(&name, false).map_err(serde::de::Error::custom)?);
        }
        Ok(set)
    }
}
