//! Body validation in Onezone's order: required keys, then optional ones, then
//! at-least-one groups, each class in sorted key order; the first bad key decides.

use serde_json::{Map, Value};

use crate::privileges::{PrivilegeUpdate, Privileges, UpdateBodyError};

use super::Error;

/// The body as an object; valid JSON that is not an object is `malformedData`.
pub(crate) fn object(body: &Value) -> Result<&Map<String, Value>, Error> {
    body.as_object().ok_or(Error::MalformedData)
}

/// An optional `privileges` list of current names (`PUT …/users/{uid}` bodies).
pub(crate) fn optional_privileges<P: Privileges>(
    body: &Map<String, Value>,
) -> Result<Option<P>, Error> {
    body.get("privileges")
        .map(|value| P::parse_list("privileges", value).map_err(Error::from))
        .transpose()
}

/// The required `privileges` list of the seed pages' `PUT …/privileges`: current or
/// legacy v3 names.
pub(crate) fn required_legacy_privileges<P: Privileges>(
    body: &Map<String, Value>,
) -> Result<P, Error> {
    let value = body
        .get("privileges")
        .ok_or(Error::MissingRequiredValue { key: "privileges" })?;
    Ok(P::parse_legacy_list("privileges", value)?)
}

/// `grant` / `revoke`: at least one, each a list of current names.
pub(crate) fn grant_revoke<P: Privileges>(
    body: &Map<String, Value>,
) -> Result<PrivilegeUpdate<P>, Error> {
    PrivilegeUpdate::from_grant_revoke_body(body).map_err(|err| match err {
        UpdateBodyError::List(err) => err.into(),
        UpdateBodyError::Missing(_) => Error::MissingAtLeastOneValue {
            keys: &["grant", "revoke"],
        },
    })
}

/// Onezone's name rule: 2 to 128 characters; the first and last a letter, digit, `_`,
/// `(` or `)`; inner ones may also be space, `.` or `-` (Unicode letters and digits
/// count).
pub(crate) fn is_valid_name(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let edge = |c: char| c.is_alphanumeric() || matches!(c, '_' | '(' | ')');
    let inner = |c: char| edge(c) || matches!(c, ' ' | '.' | '-');
    let n = chars.len();
    (2..=128).contains(&n)
        && edge(chars[0])
        && edge(chars[n - 1])
        && chars[1..n - 1].iter().all(|&c| inner(c))
}

/// A required `name`: `null` and rule breakers are `badValueName`; numbers, arrays and
/// objects `badValueString`; booleans count as the strings `"true"` / `"false"`.
fn name(body: &Map<String, Value>) -> Result<(), Error> {
    match body.get("name") {
        None => Err(Error::MissingRequiredValue { key: "name" }),
        Some(Value::String(name)) if is_valid_name(name) => Ok(()),
        Some(Value::Bool(_)) => Ok(()),
        Some(Value::String(_) | Value::Null) => Err(Error::BadValueName),
        Some(_) => Err(Error::BadValueString { key: "name" }),
    }
}

const GROUP_TYPES: &[&str] = &["organization", "unit", "team", "role_holders"];

/// A group creation body: `name` required, `type` optional (default `team`).
pub(crate) fn group_body(body: &Value) -> Result<(), Error> {
    let body = object(body)?;
    name(body)?;
    match body.get("type") {
        None => Ok(()),
        Some(Value::String(kind)) if GROUP_TYPES.contains(&kind.as_str()) => Ok(()),
        Some(Value::Number(_) | Value::Array(_) | Value::Object(_)) => {
            Err(Error::BadValueString { key: "type" })
        }
        Some(_) => Err(Error::BadValueNotAllowed {
            key: "type",
            allowed: GROUP_TYPES,
        }),
    }
}

/// A creation body with only a required `name` (spaces, harvesters, inventories).
pub(crate) fn named_body(body: &Value) -> Result<(), Error> {
    name(object(body)?)
}

/// A handle service creation body: `name`, `proxyEndpoint`, `serviceProperties`, all
/// required, in that (sorted) order.
pub(crate) fn handle_service_body(body: &Value) -> Result<(), Error> {
    let body = object(body)?;
    // Each required key in sorted order, presence and value together: the first bad
    // key decides (reference: handles §3).
    name(body)?;
    match body.get("proxyEndpoint") {
        None => {
            return Err(Error::MissingRequiredValue {
                key: "proxyEndpoint",
            });
        }
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(Value::Bool(_)) => {}
        Some(Value::String(_) | Value::Null) => {
            return Err(Error::BadValueEmpty {
                key: "proxyEndpoint",
            });
        }
        Some(_) => {
            return Err(Error::BadValueString {
                key: "proxyEndpoint",
            });
        }
    }
    match body.get("serviceProperties") {
        None => Err(Error::MissingRequiredValue {
            key: "serviceProperties",
        }),
        Some(Value::Object(props)) if !props.is_empty() => Ok(()),
        Some(Value::Object(_)) => Err(Error::BadValueEmpty {
            key: "serviceProperties",
        }),
        Some(_) => Err(Error::BadValueJson {
            key: "serviceProperties",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_name;

    #[test]
    fn name_rule_follows_the_reference() {
        for good in [
            "ab",
            "a b",
            "(x)",
            "team_1",
            "zażółć",
            "a.b-c",
            &"x".repeat(128),
        ] {
            assert!(is_valid_name(good), "{good:?} should be valid");
        }
        for bad in ["", "a", "-ab", "ab ", "★ab", " ab", &"x".repeat(129)] {
            assert!(!is_valid_name(bad), "{bad:?} should be invalid");
        }
    }
}
