//! Body validation in Onezone's order: required keys, then optional ones, then
//! at-least-one groups, each class in sorted key order; the first bad key decides.

use serde_json::{Map, Value};

use crate::graph::{EntityKind, Graph, MemberType, TargetKind};
use crate::privileges::{
    AnyPrivileges, OzPrivileges, PrivilegeUpdate, Privileges, UpdateBodyError,
};

use super::Error;
use super::ops::{CommonOp, GroupOp, HarvesterOp, Operation, OzOp, UserOp};

/// A validated body, as the operation that read it needs it.
#[derive(Debug)]
pub(crate) enum Input {
    /// The operation takes no body, or only checks it.
    None,
    /// Adding a member: the member exists; its privileges, if the body gives them.
    Member(Option<AnyPrivileges>),
    /// A member privilege update (`PATCH` grant/revoke, or the v3 API's `PUT` set).
    Update(PrivilegeUpdate<AnyPrivileges>),
    /// An oz privilege update.
    Oz(PrivilegeUpdate<OzPrivileges>),
    /// Linking a harvester: the space exists.
    Space,
}

/// Pipeline step 3: validates the body of `op` in Onezone's order.
pub(crate) fn input(graph: &Graph, op: &Operation, body: &Value) -> Result<Input, Error> {
    if let Some((kind, common)) = op.common() {
        return match common {
            CommonOp::Create => creation_body(kind, body).map(|()| Input::None),
            CommonOp::CreateGroup { .. } => group_body(body).map(|()| Input::None),
            CommonOp::AddMember {
                member, member_id, ..
            } => {
                let body = object(body)?;
                if graph.any_key(member.entity(), member_id).is_none() {
                    let key = match member {
                        MemberType::User => "userId",
                        MemberType::Group => "groupId",
                    };
                    return Err(Error::BadValueIdNotFound { key });
                }
                let privileges = body
                    .get("privileges")
                    .map(|value| AnyPrivileges::parse_list(kind.vocabulary(), "privileges", value))
                    .transpose()?;
                Ok(Input::Member(privileges))
            }
            CommonOp::UpdateMemberPrivileges { .. } => {
                let update = AnyPrivileges::grant_revoke(kind.vocabulary(), object(body)?);
                Ok(Input::Update(update.map_err(update_error)?))
            }
            CommonOp::SetMemberPrivileges { .. } => {
                let value = object(body)?
                    .get("privileges")
                    .ok_or(Error::MissingRequiredValue { key: "privileges" })?;
                let set = AnyPrivileges::parse_legacy_list(kind.vocabulary(), "privileges", value)?;
                Ok(Input::Update(PrivilegeUpdate::Set(set)))
            }
            _ => Ok(Input::None),
        };
    }
    match op {
        Operation::Group(GroupOp::CreateParent { .. }) => group_body(body).map(|()| Input::None),
        Operation::Group(GroupOp::CreateAs { kind, .. })
        | Operation::User(UserOp::CreateAs { kind }) => {
            creation_body(*kind, body).map(|()| Input::None)
        }
        Operation::Group(GroupOp::Oz {
            op: OzOp::Update, ..
        })
        | Operation::User(UserOp::Oz {
            op: OzOp::Update, ..
        }) => Ok(Input::Oz(grant_revoke::<OzPrivileges>(object(body)?)?)),
        Operation::Harvester(HarvesterOp::AddSpace { space_id, .. }) => {
            object(body)?;
            match graph.any_key(EntityKind::Space, space_id) {
                Some(_) => Ok(Input::Space),
                None => Err(Error::BadValueIdNotFound { key: "spaceId" }),
            }
        }
        _ => Ok(Input::None),
    }
}

/// Validates the body of creating an entity of `kind` (names and service data are
/// validated as Onezone does, then discarded: privgraph keeps ids and relations only).
fn creation_body(kind: TargetKind, body: &Value) -> Result<(), Error> {
    match kind {
        TargetKind::Group => group_body(body),
        TargetKind::HandleService => handle_service_body(body),
        _ => named_body(body),
    }
}

fn update_error(err: UpdateBodyError) -> Error {
    match err {
        UpdateBodyError::List(err) => err.into(),
        UpdateBodyError::Missing(_) => Error::MissingAtLeastOneValue {
            keys: &["grant", "revoke"],
        },
    }
}

/// The body as an object; valid JSON that is not an object is `malformedData`.
fn object(body: &Value) -> Result<&Map<String, Value>, Error> {
    body.as_object().ok_or(Error::MalformedData)
}

/// `grant` / `revoke`: at least one, each a list of current names.
pub(crate) fn grant_revoke<P: Privileges>(
    body: &Map<String, Value>,
) -> Result<PrivilegeUpdate<P>, Error> {
    PrivilegeUpdate::from_grant_revoke_body(body).map_err(update_error)
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
fn group_body(body: &Value) -> Result<(), Error> {
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
fn named_body(body: &Value) -> Result<(), Error> {
    name(object(body)?)
}

/// A handle service creation body: `name`, `proxyEndpoint`, `serviceProperties`, all
/// required, in that (sorted) order.
fn handle_service_body(body: &Value) -> Result<(), Error> {
    let body = object(body)?;
    // Each required key in sorted order, presence and value together: the first bad
    // key decides, as in Onezone.
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
