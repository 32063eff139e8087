//! Changes and batches: every write to a graph as data (see [`Batch`]).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::privileges::{AnyPrivileges, OzPrivileges, PrivilegeNameError, Vocabulary};

use super::{EntityKind, GraphError, MemberType, TargetKind};

/// The version of the batch and change format written by this build, carried by every
/// stored batch as `"format"`.
///
/// ```
/// assert_eq!(privgraph::graph::FORMAT, 1);
/// ```
pub const FORMAT: u32 = 1;

/// One direct-graph mutation. See [`Batch`] for the JSON form.
///
/// ```
/// use privgraph::graph::{Change, EntityKind};
/// let change: Change = serde_json::from_str(r#"{"op": "delete", "kind": "space", "id": "s1"}"#)?;
/// assert_eq!(change, Change::Delete { kind: EntityKind::Space, id: "s1".into() });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// Creates an entity with no relations (any kind but shares and handles).
    Create {
        /// The kind.
        kind: EntityKind,
        /// The new entity's id.
        id: String,
    },
    /// Creates a share of a space.
    CreateShare {
        /// The new share's id.
        id: String,
        /// Its space.
        space_id: String,
    },
    /// Creates a handle registered in a handle service for a share.
    CreateHandle {
        /// The new handle's id.
        id: String,
        /// Its handle service.
        handle_service_id: String,
        /// Its share.
        share_id: String,
    },
    /// Deletes an entity and every relation it has (a space with its shares and their
    /// handles, a share with its handle).
    Delete {
        /// The kind.
        kind: EntityKind,
        /// The entity.
        id: String,
    },
    /// Makes a user or group a direct member of a target with these privileges.
    AddMember {
        /// The target's kind.
        kind: TargetKind,
        /// The target.
        id: String,
        /// User or group.
        member_type: MemberType,
        /// The member (for a group target and a group member: the child).
        member_id: String,
        /// The member's direct privileges there (the target kind's vocabulary).
        privileges: AnyPrivileges,
    },
    /// Ends a direct membership.
    RemoveMember {
        /// The target's kind.
        kind: TargetKind,
        /// The target.
        id: String,
        /// User or group.
        member_type: MemberType,
        /// The member.
        member_id: String,
    },
    /// Replaces the direct privileges of a direct member.
    SetMemberPrivileges {
        /// The target's kind.
        kind: TargetKind,
        /// The target.
        id: String,
        /// User or group.
        member_type: MemberType,
        /// The member.
        member_id: String,
        /// The privileges it has afterwards.
        privileges: AnyPrivileges,
    },
    /// Replaces the own oz privileges of a user or group.
    SetOzPrivileges {
        /// User or group.
        member_type: MemberType,
        /// The user or group.
        id: String,
        /// Its own oz privileges afterwards.
        privileges: OzPrivileges,
    },
    /// Makes a user an owner of a space (it must be an effective member).
    AddSpaceOwner {
        /// The space.
        space_id: String,
        /// The user.
        user_id: String,
    },
    /// Ends a user's ownership of a space.
    RemoveSpaceOwner {
        /// The space.
        space_id: String,
        /// The user.
        user_id: String,
    },
    /// Links a harvester to a space.
    LinkHarvesterSpace {
        /// The harvester.
        harvester_id: String,
        /// The space.
        space_id: String,
    },
    /// Removes a harvester–space link.
    UnlinkHarvesterSpace {
        /// The harvester.
        harvester_id: String,
        /// The space.
        space_id: String,
    },
}

/// Who made a batch: Onezone's root, a user through an Onezone operation, or the
/// library API.
///
/// ```
/// use privgraph::graph::Author;
/// assert_eq!(Author::User("u1".into()).to_string(), "user:u1");
/// assert_eq!("library".parse::<Author>(), Ok(Author::Library));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Author {
    /// Onezone's root.
    Root,
    /// A user, by id.
    User(String),
    /// A direct call of the library API.
    Library,
}

/// Text that is not `root`, `library` or `user:ID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad author {0:?}: expected \"root\", \"library\" or \"user:ID\"")]
pub struct BadAuthor(pub String);

impl FromStr for Author {
    type Err = BadAuthor;
    fn from_str(s: &str) -> Result<Author, BadAuthor> {
        match s {
            "root" => Ok(Author::Root),
            "library" => Ok(Author::Library),
            _ => match s.strip_prefix("user:") {
                Some(id) if !id.is_empty() => Ok(Author::User(id.to_owned())),
                _ => Err(BadAuthor(s.to_owned())),
            },
        }
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Author::Root => f.write_str("root"),
            Author::User(id) => write!(f, "user:{id}"),
            Author::Library => f.write_str("library"),
        }
    }
}

/// A moment in UTC with millisecond precision, written in RFC 3339
/// (`2026-12-01T08:54:02.123Z`).
///
/// ```
/// use privgraph::graph::Timestamp;
/// let t: Timestamp = "2026-12-01T08:54:02.123Z".parse()?;
/// assert_eq!(t.unix_millis(), 1_796_115_242_123);
/// assert_eq!(t.to_string(), "2026-12-01T08:54:02.123Z");
/// assert!("2026-13-01T00:00:00Z".parse::<Timestamp>().is_err());
/// # Ok::<(), privgraph::graph::BadTimestamp>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Text that is not an RFC 3339 UTC timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad timestamp {0:?}: expected RFC 3339 in UTC, e.g. 2026-12-01T08:54:02.123Z")]
pub struct BadTimestamp(pub String);

impl Timestamp {
    /// Now, from the system clock (the Unix epoch when the clock is before it).
    pub fn now() -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(millis)
    }

    /// The moment `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, millis) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (year, month, day) = civil_from_days(days);
        let secs = millis / 1000;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            millis % 1000
        )
    }
}

impl FromStr for Timestamp {
    type Err = BadTimestamp;

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (a `+00:00` offset is accepted for `Z`);
    /// fractions beyond milliseconds are cut.
    fn from_str(s: &str) -> Result<Timestamp, BadTimestamp> {
        let bad = || BadTimestamp(s.chars().take(64).collect());
        let rest = s
            .strip_suffix('Z')
            .or_else(|| s.strip_suffix("+00:00"))
            .ok_or_else(bad)?;
        let (date, time) = rest.split_once('T').ok_or_else(bad)?;
        let number = |text: &str, len: usize| -> Result<i64, BadTimestamp> {
            if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            text.parse().map_err(|_| bad())
        };
        let mut date_parts = date.split('-');
        let (Some(y), Some(mo), Some(d), None) = (
            date_parts.next(),
            date_parts.next(),
            date_parts.next(),
            date_parts.next(),
        ) else {
            return Err(bad());
        };
        let (year, month, day) = (number(y, 4)?, number(mo, 2)?, number(d, 2)?);
        let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
        let mut clock_parts = clock.split(':');
        let (Some(h), Some(mi), Some(sec), None) = (
            clock_parts.next(),
            clock_parts.next(),
            clock_parts.next(),
            clock_parts.next(),
        ) else {
            return Err(bad());
        };
        let (hour, minute, second) = (number(h, 2)?, number(mi, 2)?, number(sec, 2)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let valid = (1..=12).contains(&month)
            && (1..=month_days[(month - 1).clamp(0, 11) as usize]).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        if !valid || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let millis: i64 = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
        let days = days_from_civil(year, month, day);
        Ok(Timestamp(
            days * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis,
        ))
    }
}

/// The changes of one write, who made it and when: every write to a graph as data.
///
/// A [`Change`] is one direct-graph mutation, named by external ids, carrying the
/// privileges it leaves (never "grant these": the resolved set), so applying it never
/// depends on what was there before. A [`Batch`] is the ordered list of changes one
/// write made, with who made it and when; [`Graph::apply`](super::Graph::apply) applies
/// a batch atomically and gives it the next revision. Applying the same batches in order
/// to equal graphs gives equal graphs, so a batch log is a complete history.
///
/// # JSON form
///
/// Every change is an object with an `"op"` and camelCase keys; kinds are the snake-case
/// names in [`EntityKind`](super::EntityKind)'s table (`user`, `group`, `space`, `share`,
/// `handle_service`, `handle`, `harvester`, `cluster`, `atm_inventory`), privileges are
/// arrays of Onezone names of the target kind's vocabulary (oz names for
/// `setOzPrivileges`):
///
/// | `op` | keys |
/// |---|---|
/// | `create` | `kind` (any kind but `share`, `handle`), `id` |
/// | `createShare` | `id`, `spaceId` |
/// | `createHandle` | `id`, `handleServiceId`, `shareId` |
/// | `delete` | `kind`, `id` (a space takes its shares and their handles with it, a share its handle) |
/// | `addMember` | `kind` (target kind), `id`, `memberType` (`user` / `group`), `memberId`, `privileges` |
/// | `removeMember` | `kind`, `id`, `memberType`, `memberId` |
/// | `setMemberPrivileges` | `kind`, `id`, `memberType`, `memberId`, `privileges` |
/// | `setOzPrivileges` | `memberType`, `id`, `privileges` |
/// | `addSpaceOwner`, `removeSpaceOwner` | `spaceId`, `userId` |
/// | `linkHarvesterSpace`, `unlinkHarvesterSpace` | `harvesterId`, `spaceId` |
///
/// A group nested in a group is `addMember` with `kind: "group"`, `memberType: "group"`:
/// `memberId` is the child, `id` the parent.
///
/// A batch in a log is one line (the store's `db log` prints exactly this):
///
/// ```json
/// {"format": 1, "revision": 7, "by": "user:u1", "at": "2026-12-01T08:54:02.123Z",
///  "changes": [{"op": "setMemberPrivileges", "kind": "handle_service", "id": "hs1",
///               "memberType": "group", "memberId": "g1", "privileges": ["handle_service_view"]}]}
/// ```
///
/// `by` is `"root"`, `"user:ID"` or `"library"` (a change made through the library API
/// rather than an Onezone operation); `at` is RFC 3339 in UTC with milliseconds.
/// `format` is [`FORMAT`]; a reader refuses any other value.
///
/// ```
/// use privgraph::graph::{Author, Batch, Change, Graph, MemberType, TargetKind, User};
/// use privgraph::privileges::HandleServicePrivileges as HS;
///
/// let mut graph = Graph::new();
/// let batch = Batch::new(Author::Library, vec![
///     Change::Create { kind: privgraph::graph::EntityKind::User, id: "u1".into() },
///     Change::Create { kind: privgraph::graph::EntityKind::HandleService, id: "hs1".into() },
///     Change::AddMember { kind: TargetKind::HandleService, id: "hs1".into(),
///         member_type: MemberType::User, member_id: "u1".into(),
///         privileges: HS::HANDLE_SERVICE_VIEW.into() },
/// ]);
/// assert_eq!(graph.apply(&batch)?, 1);
/// assert!(graph.has_privilege_by_id::<User, _>("u1", "hs1", HS::HANDLE_SERVICE_VIEW));
///
/// let line = serde_json::to_string(&batch.changes[2])?;
/// assert_eq!(line, r#"{"op":"addMember","kind":"handle_service","id":"hs1","memberType":"user","memberId":"u1","privileges":["handle_service_view"]}"#);
/// assert_eq!(serde_json::from_str::<Change>(&line)?, batch.changes[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Who made it.
    pub by: Author,
    /// When.
    pub at: Timestamp,
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl Batch {
    /// A batch made now.
    pub fn new(by: Author, changes: Vec<Change>) -> Batch {
        Batch {
            by,
            at: Timestamp::now(),
            changes,
        }
    }
}

/// A batch with the revision it was committed at: one line of a batch log,
/// `{"format": 1, "revision": N, "by": ..., "at": ..., "changes": [...]}`.
///
/// ```
/// use privgraph::graph::CommittedBatch;
/// let line = r#"{"format": 1, "revision": 3, "by": "root", "at": "2026-01-02T03:04:05.000Z", "changes": []}"#;
/// let committed: CommittedBatch = serde_json::from_str(line)?;
/// assert_eq!(committed.revision, 3);
/// assert!(serde_json::from_str::<CommittedBatch>(&line.replace("\"format\": 1", "\"format\": 2")).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommittedBatch {
    /// Its revision.
    pub revision: u64,
    /// The batch.
    pub batch: Batch,
}

/// Why a batch was refused. The graph is exactly as before.
///
/// ```
/// use privgraph::graph::{Author, Batch, BatchError, Change, ChangeError, EntityKind, Graph};
/// let mut graph = Graph::new();
/// let batch = Batch::new(Author::Library, vec![
///     Change::Create { kind: EntityKind::User, id: "u1".into() },
///     Change::Delete { kind: EntityKind::Group, id: "g9".into() },
/// ]);
/// let err = graph.apply(&batch).unwrap_err();
/// assert_eq!(err, BatchError::Change { index: 1, error: ChangeError::Unknown { kind: EntityKind::Group, id: "g9".into() } });
/// assert_eq!(graph.len::<privgraph::graph::User>(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A change could not be applied.
    #[error("change {index} of the batch was refused: {error}")]
    Change {
        /// Its position in the batch (from 0).
        index: usize,
        /// Why.
        error: ChangeError,
    },
    /// A committed batch's revision is not the graph's next one.
    #[error("batch of revision {found} cannot follow revision {current}")]
    RevisionGap {
        /// The graph's revision.
        current: u64,
        /// The batch's.
        found: u64,
    },
}

/// Why one change could not be applied.
///
/// ```
/// use privgraph::graph::{ChangeError, EntityKind};
/// let err = ChangeError::Unknown { kind: EntityKind::Space, id: "s1".into() };
/// assert_eq!(err.to_string(), "no space `s1`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// The change names an entity that does not exist.
    #[error("no {kind} `{id}`")]
    Unknown {
        /// Its kind.
        kind: EntityKind,
        /// Its id.
        id: String,
    },
    /// `create` of a share or handle (they have their own changes).
    #[error("a {kind} is created with its own change (createShare, createHandle)")]
    NotIndependent {
        /// The kind.
        kind: EntityKind,
    },
    /// The privileges are not of the target kind's vocabulary.
    #[error("privileges of the {found} vocabulary given for a {kind}")]
    WrongVocabulary {
        /// The target kind.
        kind: TargetKind,
        /// The vocabulary given.
        found: Vocabulary,
    },
    /// The graph refused the mutation.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

// ----- serde --------------------------------------------------------------------------

macro_rules! snake_serde {
    ($Type:ty, $parse:expr, $expecting:literal) => {
        impl Serialize for $Type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $Type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                let parse: fn(&str) -> Option<$Type> = $parse;
                parse(&text).ok_or_else(|| {
                    de::Error::invalid_value(de::Unexpected::Str(&text), &$expecting)
                })
            }
        }
    };
}

snake_serde!(
    EntityKind,
    EntityKind::from_name,
    "an entity kind such as \"handle_service\""
);
snake_serde!(
    TargetKind,
    TargetKind::from_name,
    "a target kind such as \"handle_service\""
);
snake_serde!(MemberType, MemberType::from_name, "\"user\" or \"group\"");

macro_rules! display_serde {
    ($Type:ty, $expecting:literal) => {
        impl Serialize for $Type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $Type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse()
                    .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&text), &$expecting))
            }
        }
    };
}

display_serde!(Author, "\"root\", \"library\" or \"user:ID\"");
display_serde!(Timestamp, "an RFC 3339 UTC timestamp");

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = match self {
            Change::Create { .. } | Change::Delete { .. } => 3,
            Change::CreateShare { .. }
            | Change::AddSpaceOwner { .. }
            | Change::RemoveSpaceOwner { .. }
            | Change::LinkHarvesterSpace { .. }
            | Change::UnlinkHarvesterSpace { .. } => 3,
            Change::CreateHandle { .. } | Change::SetOzPrivileges { .. } => 4,
            Change::RemoveMember { .. } => 5,
            Change::AddMember { .. } | Change::SetMemberPrivileges { .. } => 6,
        };
        let mut s = serializer.serialize_struct("Change", fields)?;
        s.serialize_field("op", self.op())?;
        match self {
            Change::Create { kind, id } | Change::Delete { kind, id } => {
                s.serialize_field("kind", kind)?;
                s.serialize_field("id", id)?;
            }
            Change::CreateShare { id, space_id } => {
                s.serialize_field("id", id)?;
                s.serialize_field("spaceId", space_id)?;
            }
            Change::CreateHandle {
                id,
                handle_service_id,
                share_id,
            } => {
                s.serialize_field("id", id)?;
                s.serialize_field("handleServiceId", handle_service_id)?;
                s.serialize_field("shareId", share_id)?;
            }
            Change::AddMember {
                kind,
                id,
                member_type,
                member_id,
                privileges,
            }
            | Change::SetMemberPrivileges {
                kind,
                id,
                member_type,
                member_id,
                privileges,
            } => {
                s.serialize_field("kind", kind)?;
                s.serialize_field("id", id)?;
                s.serialize_field("memberType", member_type)?;
                s.serialize_field("memberId", member_id)?;
                s.serialize_field("privileges", privileges)?;
            }
            Change::RemoveMember {
                kind,
                id,
                member_type,
                member_id,
            } => {
                s.serialize_field("kind", kind)?;
                s.serialize_field("id", id)?;
                s.serialize_field("memberType", member_type)?;
                s.serialize_field("memberId", member_id)?;
            }
            Change::SetOzPrivileges {
                member_type,
                id,
                privileges,
            } => {
                s.serialize_field("memberType", member_type)?;
                s.serialize_field("id", id)?;
                s.serialize_field("privileges", privileges)?;
            }
            Change::AddSpaceOwner { space_id, user_id }
            | Change::RemoveSpaceOwner { space_id, user_id } => {
                s.serialize_field("spaceId", space_id)?;
                s.serialize_field("userId", user_id)?;
            }
            Change::LinkHarvesterSpace {
                harvester_id,
                space_id,
            }
            | Change::UnlinkHarvesterSpace {
                harvester_id,
                space_id,
            } => {
                s.serialize_field("harvesterId", harvester_id)?;
                s.serialize_field("spaceId", space_id)?;
            }
        }
        s.end()
    }
}

impl Change {
    /// The change's `"op"` name.
    ///
    /// ```
    /// use privgraph::graph::Change;
    /// let change = Change::AddSpaceOwner { space_id: "s".into(), user_id: "u".into() };
    /// assert_eq!(change.op(), "addSpaceOwner");
    /// ```
    pub fn op(&self) -> &'static str {
        match self {
            Change::Create { .. } => "create",
            Change::CreateShare { .. } => "createShare",
            Change::CreateHandle { .. } => "createHandle",
            Change::Delete { .. } => "delete",
            Change::AddMember { .. } => "addMember",
            Change::RemoveMember { .. } => "removeMember",
            Change::SetMemberPrivileges { .. } => "setMemberPrivileges",
            Change::SetOzPrivileges { .. } => "setOzPrivileges",
            Change::AddSpaceOwner { .. } => "addSpaceOwner",
            Change::RemoveSpaceOwner { .. } => "removeSpaceOwner",
            Change::LinkHarvesterSpace { .. } => "linkHarvesterSpace",
            Change::UnlinkHarvesterSpace { .. } => "unlinkHarvesterSpace",
        }
    }
}

/// The JSON shape of a change as read: privileges stay names until the kind is known.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
enum ChangeWire {
    Create {
        kind: EntityKind,
        id: String,
    },
    #[serde(rename_all = "camelCase")]
    CreateShare {
        id: String,
        space_id: String,
    },
    #[serde(rename_all = "camelCase")]
    CreateHandle {
        id: String,
        handle_service_id: String,
        share_id: String,
    },
    Delete {
        kind: EntityKind,
        id: String,
    },
    #[serde(rename_all = "camelCase")]
    AddMember {
        kind: TargetKind,
        id: String,
        member_type: MemberType,
        member_id: String,
        privileges: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    RemoveMember {
        kind: TargetKind,
        id: String,
        member_type: MemberType,
        member_id: String,
    },
    #[serde(rename_all = "camelCase")]
    SetMemberPrivileges {
        kind: TargetKind,
        id: String,
        member_type: MemberType,
        member_id: String,
        privileges: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    SetOzPrivileges {
        member_type: MemberType,
        id: String,
        privileges: OzPrivileges,
    },
    #[serde(rename_all = "camelCase")]
    AddSpaceOwner {
        space_id: String,
        user_id: String,
    },
    #[serde(rename_all = "camelCase")]
    RemoveSpaceOwner {
        space_id: String,
        user_id: String,
    },
    #[serde(rename_all = "camelCase")]
    LinkHarvesterSpace {
        harvester_id: String,
        space_id: String,
    },
    #[serde(rename_all = "camelCase")]
    UnlinkHarvesterSpace {
        harvester_id: String,
        space_id: String,
    },
}

fn privileges_of(kind: TargetKind, names: &[String]) -> Result<AnyPrivileges, PrivilegeNameError> {
    AnyPrivileges::from_names(kind.vocabulary(), names.iter().map(String::as_str))
}

impl TryFrom<ChangeWire> for Change {
    type Error = PrivilegeNameError;

    fn try_from(wire: ChangeWire) -> Result<Change, PrivilegeNameError> {
        Ok(match wire {
            ChangeWire::Create { kind, id } => Change::Create { kind, id },
            ChangeWire::CreateShare { id, space_id } => Change::CreateShare { id, space_id },
            ChangeWire::CreateHandle {
                id,
                handle_service_id,
                share_id,
            } => Change::CreateHandle {
                id,
                handle_service_id,
                share_id,
            },
            ChangeWire::Delete { kind, id } => Change::Delete { kind, id },
            ChangeWire::AddMember {
                kind,
                id,
                member_type,
                member_id,
                privileges,
            } => Change::AddMember {
                privileges: privileges_of(kind, &privileges)?,
                kind,
                id,
                member_type,
                member_id,
            },
            ChangeWire::RemoveMember {
                kind,
                id,
                member_type,
                member_id,
            } => Change::RemoveMember {
                kind,
                id,
                member_type,
                member_id,
            },
            ChangeWire::SetMemberPrivileges {
                kind,
                id,
                member_type,
                member_id,
                privileges,
            } => Change::SetMemberPrivileges {
                privileges: privileges_of(kind, &privileges)?,
                kind,
                id,
                member_type,
                member_id,
            },
            ChangeWire::SetOzPrivileges {
                member_type,
                id,
                privileges,
            } => Change::SetOzPrivileges {
                member_type,
                id,
                privileges,
            },
            ChangeWire::AddSpaceOwner { space_id, user_id } => {
                Change::AddSpaceOwner { space_id, user_id }
            }
            ChangeWire::RemoveSpaceOwner { space_id, user_id } => {
                Change::RemoveSpaceOwner { space_id, user_id }
            }
            ChangeWire::LinkHarvesterSpace {
                harvester_id,
                space_id,
            } => Change::LinkHarvesterSpace {
                harvester_id,
                space_id,
            },
            ChangeWire::UnlinkHarvesterSpace {
                harvester_id,
                space_id,
            } => Change::UnlinkHarvesterSpace {
                harvester_id,
                space_id,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Change::try_from(ChangeWire::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

#[derive(Serialize)]
struct LogLineRef<'a> {
    format: u32,
    revision: u64,
    by: &'a Author,
    at: &'a Timestamp,
    changes: &'a [Change],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogLine {
    format: u32,
    revision: u64,
    by: Author,
    at: Timestamp,
    changes: Vec<Change>,
}

impl Serialize for CommittedBatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LogLineRef {
            format: FORMAT,
            revision: self.revision,
            by: &self.batch.by,
            at: &self.batch.at,
            changes: &self.batch.changes,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CommittedBatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let line = LogLine::deserialize(deserializer)?;
        if line.format != FORMAT {
            return Err(de::Error::custom(format_args!(
                "batch format {} is not supported: this build reads format {FORMAT}",
                line.format
            )));
        }
        Ok(CommittedBatch {
            revision: line.revision,
            batch: Batch {
                by: line.by,
                at: line.at,
                changes: line.changes,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_across_eras_and_leap_days() {
        for text in [
            "1970-01-01T00:00:00.000Z",
            "2000-02-29T23:59:59.999Z",
            "2026-12-01T08:54:02.123Z",
            "1969-12-31T23:59:59.999Z",
            "2400-02-29T12:00:00.000Z",
        ] {
            let t: Timestamp = text.parse().unwrap();
            assert_eq!(t.to_string(), text);
        }
        assert_eq!(
            "1970-01-01T00:00:01Z".parse::<Timestamp>().unwrap(),
            Timestamp::from_unix_millis(1000)
        );
        for bad in [
            "2001-02-29T00:00:00Z",
            "2026-12-01 08:54:02Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T08:54:02",
            "26-12-01T08:54:02Z",
            "2026-12-01T08:54:02.x1Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }
}
