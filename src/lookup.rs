//! Lookups: "what can this user (or group) act on?" and "who holds this privilege
//! here?", answered exactly as a check answers, in a stable order, page by page.
//!
//! A subject *holds* a privilege in an entity exactly when [`Graph::has_privilege`]
//! says so: its effective privileges there contain it, and a space owner holds every
//! space privilege. Onezone-wide admin (oz) privileges never count: they let Onezone's
//! REST API authorize a request, they do not make anyone a holder.
//!
//! - [`Graph::lookup_resources`]: for a user or a group and a privilege set, every
//!   entity of one kind where the subject holds it.
//! - [`Graph::lookup_subjects`]: for an entity and a privilege set, every user and
//!   every group that holds it there (for a group: the users and the effective child
//!   groups holding it).
//!
//! Both answer a [`Found`] list: iterate it (in order of id bytes), or cut it into
//! pages with [`Found::page`], which resumes exactly after the last id a previous page
//! returned — never a silent truncation, and an entity added or removed between two
//! pages cannot make a later page repeat or skip another. [`resources_by_id`] and
//! [`subjects_by_id`] take ids and names, as the CLI and HTTP clients have them, and
//! answer `{"ids": [...], "next": C}` and `{"users": [...], "groups": [...], "next": C}`
//! with an opaque, URL-safe [`Cursor`].
//!
//! ```
//! use privgraph::graph::{Graph, Group, HandleService, User};
//! use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
//!
//! let mut graph = Graph::new();
//! let alice = graph.create::<User>("alice")?;
//! let team = graph.create::<Group>("team")?;
//! graph.add_member(team, alice, G::empty())?;
//! for id in ["hs3", "hs1", "hs2"] {
//!     let hs = graph.create::<HandleService>(id)?;
//!     graph.add_member(hs, team, HS::HANDLE_SERVICE_VIEW)?;
//! }
//! let found = graph.lookup_resources::<User, HandleService>(alice, HS::HANDLE_SERVICE_VIEW);
//! let ids: Vec<&str> = found.into_iter().filter_map(|hs| graph.id(hs)).collect();
//! assert_eq!(ids, ["hs1", "hs2", "hs3"]);
//!
//! let hs2 = graph.key::<HandleService>("hs2").unwrap();
//! let who = graph.lookup_subjects(hs2, HS::HANDLE_SERVICE_VIEW);
//! assert_eq!((who.users.len(), who.groups.len()), (1, 1));
//! # Ok::<(), privgraph::graph::GraphError>(())
//! ```
//!
//! # Costs
//!
//! Nothing is scanned that the answer could not contain, so costs grow with the
//! subject's memberships and the answer, never with the size of the graph:
//!
//! - resources of a user: its effective memberships of the kind (the direct ones and
//!   those of each of its effective groups), one check each;
//! - resources of a group: its effective memberships of the kind, one check each; for
//!   parent groups one walk over the ancestors and their nesting edges;
//! - subjects of an entity: its effective users and groups, one check each; for a group,
//!   one walk over its descendants and their nesting edges;
//! - ordering: a sort of the answer; a page selects its `limit` entries after the
//!   cursor first, so it costs O(answer + limit · log limit).
//!
//! A lookup allocates: the candidates and the answer (it is not on the check path).

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

use bitflags::Flags;
use hashbrown::{HashMap, HashSet};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::graph::{
    AnyKey, Graph, Group, Key, Kind, MemberKind, MemberType, Target, TargetKind, User,
    with_target_kind,
};
use crate::inspect::{InspectError, entity_named, privilege_named};
use crate::privileges::{GroupPrivileges, Privileges};

/// A user or a group, by id: `user:ID` or `group:ID` in text.
///
/// ```
/// use privgraph::graph::MemberType;
/// use privgraph::lookup::Subject;
/// let s: Subject = "group:g1".parse()?;
/// assert_eq!(s, Subject { kind: MemberType::Group, id: "g1".into() });
/// assert_eq!(s.to_string(), "group:g1");
/// assert!("space:s1".parse::<Subject>().is_err());
/// # Ok::<(), privgraph::lookup::BadSubject>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    /// User or group.
    pub kind: MemberType,
    /// Its id.
    pub id: String,
}

/// Text that is not `user:ID` or `group:ID`.
///
/// ```
/// use privgraph::lookup::{BadSubject, Subject};
/// assert_eq!("u1".parse::<Subject>(), Err(BadSubject("u1".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad subject {0:?}: expected \"user:ID\" or \"group:ID\"")]
pub struct BadSubject(pub String);

impl FromStr for Subject {
    type Err = BadSubject;
    fn from_str(s: &str) -> Result<Subject, BadSubject> {
        s.split_once(':')
            .and_then(|(kind, id)| {
                let kind = MemberType::from_name(kind)?;
                (!id.is_empty()).then(|| Subject {
                    kind,
                    id: id.to_owned(),
                })
            })
            .ok_or_else(|| BadSubject(s.chars().take(300).collect()))
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// The entities a lookup found, in no particular order until read: iterating it
/// ([`IntoIterator`]) yields them in order of id bytes, [`Found::page`] one page of
/// that order.
///
/// ```
/// use std::num::NonZeroUsize;
/// use privgraph::graph::{Graph, Space, User};
/// use privgraph::privileges::SpacePrivileges as S;
/// let mut graph = Graph::new();
/// let u = graph.create::<User>("u")?;
/// for id in ["b", "c", "a"] {
///     let s = graph.create::<Space>(id)?;
///     graph.add_member(s, u, S::SPACE_VIEW)?;
/// }
/// let two = NonZeroUsize::new(2).unwrap();
/// let first = graph.lookup_resources::<User, Space>(u, S::SPACE_VIEW).page(None, two);
/// assert_eq!((first.keys.len(), first.next), (2, Some("b")));
/// let rest = graph.lookup_resources::<User, Space>(u, S::SPACE_VIEW).page(first.next, two);
/// assert_eq!((rest.keys.len(), rest.next), (1, None));
/// assert_eq!(graph.id(rest.keys[0]), Some("c"));
/// # Ok::<(), privgraph::graph::GraphError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Found<'g, K: Kind> {
    matches: Vec<(&'g str, Key<K>)>,
}

/// One page of a [`Found`] list: at most `limit` keys in order of id bytes, and the id
/// to resume after when more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'g, K: Kind> {
    /// The keys, in order of id bytes.
    pub keys: Vec<Key<K>>,
    /// The id of the last key when more follow (pass it to the next
    /// [`Found::page`]), `None` when the list ends here.
    pub next: Option<&'g str>,
}

impl<'g, K: Kind> Found<'g, K> {
    /// A list of keys with their ids, as the graph holds them.
    fn new(graph: &'g Graph, keys: impl IntoIterator<Item = Key<K>>) -> Self {
        let matches = keys
            .into_iter()
            .filter_map(|key| graph.id(key).map(|id| (id, key)))
            .collect();
        Found { matches }
    }

    /// How many entities were found.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// assert_eq!(graph.lookup_resources::<User, Space>(u, S::SPACE_VIEW).len(), 0);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.matches.len()
    }

    /// Whether nothing was found.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// assert!(graph.lookup_resources::<User, Space>(u, S::SPACE_VIEW).is_empty());
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }

    /// The ids found, in order of their bytes.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Group, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (u, g) = (graph.create::<User>("u")?, graph.create::<Group>("g")?);
    /// graph.add_member(g, u, G::GROUP_VIEW)?;
    /// assert_eq!(graph.lookup_resources::<User, Group>(u, G::GROUP_VIEW).into_ids(), ["g"]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn into_ids(mut self) -> Vec<&'g str> {
        self.sort();
        self.matches.into_iter().map(|(id, _)| id).collect()
    }

    /// The entities whose ids come after `after` (every one for `None`), at most
    /// `limit` of them, in order of id bytes. `after` need not name an entity that still
    /// exists: the page starts after it in byte order, so pages resume exactly where the
    /// previous one stopped. O(len + limit · log limit).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph::graph::{Graph, Cluster, User};
    /// use privgraph::privileges::ClusterPrivileges as C;
    /// let mut graph = Graph::new();
    /// let u = graph.create::<User>("u")?;
    /// for id in ["c1", "c2"] {
    ///     let c = graph.create::<Cluster>(id)?;
    ///     graph.add_member(c, u, C::CLUSTER_VIEW)?;
    /// }
    /// let page = graph.lookup_resources::<User, Cluster>(u, C::CLUSTER_VIEW)
    ///     .page(Some("c1"), NonZeroUsize::MIN);
    /// assert_eq!(page.keys, vec![graph.key::<Cluster>("c2").unwrap()]);
    /// assert_eq!(page.next, None);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn page(self, after: Option<&str>, limit: NonZeroUsize) -> Page<'g, K> {
        let (matches, more) = self.window(after, limit.get());
        let next = if more {
            matches.last().map(|&(id, _)| id)
        } else {
            None
        };
        Page {
            keys: matches.into_iter().map(|(_, key)| key).collect(),
            next,
        }
    }

    /// The at most `limit` first matches after `after`, sorted, and whether more follow.
    fn window(self, after: Option<&str>, limit: usize) -> (Vec<(&'g str, Key<K>)>, bool) {
        let mut rest = self.matches;
        if let Some(after) = after {
            rest.retain(|&(id, _)| id.as_bytes() > after.as_bytes());
        }
        let more = rest.len() > limit;
        if more {
            rest.select_nth_unstable_by(limit, |a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            rest.truncate(limit);
        }
        rest.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        (rest, more)
    }

    fn sort(&mut self) {
        self.matches
            .sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }
}

impl<'g, K: Kind> IntoIterator for Found<'g, K> {
    type Item = Key<K>;
    type IntoIter = FoundIter<'g, K>;

    /// The keys in order of id bytes (sorting them once).
    fn into_iter(mut self) -> FoundIter<'g, K> {
        self.sort();
        FoundIter(self.matches.into_iter())
    }
}

/// The keys of a [`Found`] list in order of id bytes.
#[derive(Debug, Clone)]
pub struct FoundIter<'g, K: Kind>(std::vec::IntoIter<(&'g str, Key<K>)>);

impl<K: Kind> Iterator for FoundIter<'_, K> {
    type Item = Key<K>;
    fn next(&mut self) -> Option<Key<K>> {
        self.0.next().map(|(_, key)| key)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K: Kind> ExactSizeIterator for FoundIter<'_, K> {}

/// The users and the groups that hold a privilege somewhere (see
/// [`Graph::lookup_subjects`]). In pages, users come first (by id), then groups (by id).
#[derive(Debug, Clone)]
pub struct FoundSubjects<'g> {
    /// The users.
    pub users: Found<'g, User>,
    /// The groups.
    pub groups: Found<'g, Group>,
}

/// One page of a [`FoundSubjects`] list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectsPage<'g> {
    /// Users, in order of id bytes.
    pub users: Vec<Key<User>>,
    /// Groups, in order of id bytes (a page holds groups only once every user was
    /// returned).
    pub groups: Vec<Key<Group>>,
    /// The last subject returned, when more follow.
    pub next: Option<(MemberType, &'g str)>,
}

impl<'g> FoundSubjects<'g> {
    /// The subjects after `after` (every one for `None`) in the order users by id, then
    /// groups by id; at most `limit` of them. O(len + limit · log limit).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use privgraph::graph::{Graph, Group, HandleService, MemberType, User};
    /// use privgraph::privileges::{GroupPrivileges as G, HandleServicePrivileges as HS};
    /// let mut graph = Graph::new();
    /// let (u, g, hs) = (graph.create::<User>("u")?, graph.create::<Group>("g")?, graph.create::<HandleService>("hs")?);
    /// graph.add_member(g, u, G::empty())?;
    /// graph.add_member(hs, g, HS::HANDLE_SERVICE_VIEW)?;
    /// let first = graph.lookup_subjects(hs, HS::HANDLE_SERVICE_VIEW).page(None, NonZeroUsize::MIN);
    /// assert_eq!((first.users, first.next), (vec![u], Some((MemberType::User, "u"))));
    /// let second = graph.lookup_subjects(hs, HS::HANDLE_SERVICE_VIEW).page(first.next, NonZeroUsize::MIN);
    /// assert_eq!((second.groups, second.next), (vec![g], None));
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn page(self, after: Option<(MemberType, &str)>, limit: NonZeroUsize) -> SubjectsPage<'g> {
        let limit = limit.get();
        let ((users, more_users), groups_after) = match after {
            Some((MemberType::Group, id)) => ((Vec::new(), false), Some(id)),
            Some((MemberType::User, id)) => (self.users.window(Some(id), limit), None),
            None => (self.users.window(None, limit), None),
        };
        let last_user = users.last().map(|&(id, _)| (MemberType::User, id));
        let room = limit - users.len();
        let (groups, next) = if more_users {
            (Vec::new(), last_user)
        } else if room == 0 {
            // The users fill the page exactly: the groups start on the next one.
            (Vec::new(), last_user.filter(|_| !self.groups.is_empty()))
        } else {
            let (groups, more) = self.groups.window(groups_after, room);
            let next = groups
                .last()
                .filter(|_| more)
                .map(|&(id, _)| (MemberType::Group, id));
            (groups, next)
        };
        SubjectsPage {
            users: users.into_iter().map(|(_, k)| k).collect(),
            groups: groups.into_iter().map(|(_, k)| k).collect(),
            next,
        }
    }
}

impl Graph {
    /// Every entity of kind `T` in which `subject` (a user or a group) holds every
    /// privilege of `privileges`, as [`Graph::has_privilege`] answers (an empty set:
    /// every effective membership). Oz privileges never count. Empty for an unknown
    /// key.
    ///
    /// Cost: O(the subject's effective memberships of kind `T`), one check each (see
    /// the [module docs](crate::lookup)); for a group in parent groups, one walk over
    /// its ancestors and their nesting edges.
    ///
    /// ```
    /// use privgraph::graph::{Graph, Space, User};
    /// use privgraph::privileges::SpacePrivileges as S;
    /// let mut graph = Graph::new();
    /// let (u, s1, s2) = (graph.create::<User>("u")?, graph.create::<Space>("s1")?, graph.create::<Space>("s2")?);
    /// graph.add_member(s1, u, S::SPACE_VIEW)?;
    /// graph.add_member(s2, u, S::empty())?;
    /// graph.add_space_owner(s2, u)?;
    /// // s2: an owner holds every space privilege.
    /// let spaces: Vec<_> = graph.lookup_resources::<User, Space>(u, S::SPACE_VIEW).into_iter().collect();
    /// assert_eq!(spaces, [s1, s2]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn lookup_resources<M: MemberKind, T: Target>(
        &self,
        subject: Key<M>,
        privileges: T::Privileges,
    ) -> Found<'_, T> {
        let nested = M::MEMBER == MemberType::Group && T::TARGET == TargetKind::Group;
        match AnyKey::of(subject).typed::<Group>() {
            Some(group) if nested => {
                let held = self.held_in_ancestors(group);
                let keys = held.into_iter().filter_map(|(parent, held)| {
                    let parent = AnyKey::of(parent).typed::<T>()?;
                    let held = T::Privileges::from_any(held.into_any())?;
                    held.contains(privileges).then_some(parent)
                });
                Found::new(self, keys)
            }
            _ => {
                let candidates = self.effective_memberships::<M, T>(subject);
                let keys = candidates
                    .into_iter()
                    .filter(|&t| self.has_privilege(subject, t, privileges));
                Found::new(self, keys)
            }
        }
    }

    /// Every user and every group that holds every privilege of `privileges` in
    /// `target`, as [`Graph::has_privilege`] answers (space owners included, oz
    /// privileges never); for a group target, the groups are its effective children
    /// that hold it. Empty for an unknown key.
    ///
    /// Cost: O(the target's effective users and groups), one check each; for a group
    /// target, one walk over its descendants and their nesting edges.
    ///
    /// ```
    /// use privgraph::graph::{Child, Graph, Group, Parent, User};
    /// use privgraph::privileges::GroupPrivileges as G;
    /// let mut graph = Graph::new();
    /// let (org, team, u) = (graph.create::<Group>("org")?, graph.create::<Group>("team")?, graph.create::<User>("u")?);
    /// graph.add_member(team, u, G::empty())?;
    /// graph.nest(Child(team), Parent(org), G::GROUP_VIEW)?;
    /// let who = graph.lookup_subjects(org, G::GROUP_VIEW);
    /// assert_eq!(who.users.into_ids(), ["u"]);
    /// assert_eq!(who.groups.into_ids(), ["team"]);
    /// # Ok::<(), privgraph::graph::GraphError>(())
    /// ```
    pub fn lookup_subjects<T: Target>(
        &self,
        target: Key<T>,
        privileges: T::Privileges,
    ) -> FoundSubjects<'_> {
        let users = self
            .effective_members::<User, T>(target)
            .into_iter()
            .filter(|&u| self.has_privilege(u, target, privileges));
        let users = Found::new(self, users);
        let groups = match AnyKey::of(target).typed::<Group>() {
            Some(group) => {
                let held = self.held_by_descendants(group);
                let keys = held.into_iter().filter_map(|(child, held)| {
                    let held = T::Privileges::from_any(held.into_any())?;
                    held.contains(privileges).then_some(child)
                });
                Found::new(self, keys)
            }
            None => {
                let keys = self
                    .effective_members::<Group, T>(target)
                    .into_iter()
                    .filter(|&g| self.has_privilege(g, target, privileges));
                Found::new(self, keys)
            }
        };
        FoundSubjects { users, groups }
    }

    /// The effective privileges of group `x` in each of its ancestors, in one walk:
    /// what `x` holds in group `t` is the union of what every group among `x` and its
    /// ancestors holds directly in `t`. O(ancestors and their nesting edges).
    fn held_in_ancestors(&self, x: Key<Group>) -> HashMap<Key<Group>, GroupPrivileges> {
        let mut held = HashMap::new();
        let below = std::iter::once(x).chain(self.effective_memberships::<Group, Group>(x));
        for a in below {
            for parent in self.memberships::<Group, Group>(a) {
                let direct = self.direct_privileges(a, parent).unwrap_or_default();
                held.entry(parent)
                    .or_insert_with(GroupPrivileges::empty)
                    .insert(direct);
            }
        }
        held
    }

    /// The effective privileges in group `t` of each of its descendants, in one walk
    /// down in topological order: a descendant holds what it holds directly in `t`
    /// plus what each of its parents below `t` holds there. O(descendants and their
    /// nesting edges).
    fn held_by_descendants(&self, t: Key<Group>) -> HashMap<Key<Group>, GroupPrivileges> {
        let below: HashSet<Key<Group>> = self
            .effective_members::<Group, Group>(t)
            .into_iter()
            .collect();
        // Parents inside `below` that each descendant still waits for.
        let mut waiting: HashMap<Key<Group>, usize> = HashMap::with_capacity(below.len());
        let mut held = HashMap::with_capacity(below.len());
        let mut ready = Vec::new();
        for &x in &below {
            let parents_below = self
                .memberships::<Group, Group>(x)
                .into_iter()
                .filter(|p| below.contains(p))
                .count();
            held.insert(x, self.direct_privileges(x, t).unwrap_or_default());
            if parents_below == 0 {
                ready.push(x);
            } else {
                waiting.insert(x, parents_below);
            }
        }
        while let Some(x) = ready.pop() {
            let inherited = held.get(&x).copied().unwrap_or_default();
            for child in self.direct_members::<Group, Group>(x) {
                if let Some(privileges) = held.get_mut(&child) {
                    privileges.insert(inherited);
                }
                if let Some(count) = waiting.get_mut(&child) {
                    *count -= 1;
                    if *count == 0 {
                        waiting.remove(&child);
                        ready.push(child);
                    }
                }
            }
        }
        held
    }
}

// ----- by ids and names ---------------------------------------------------------------

/// Where a page of a by-id lookup starts: opaque, URL-safe text handed out as `next`
/// by [`resources_by_id`] and [`subjects_by_id`].
///
/// ```
/// use privgraph::lookup::Cursor;
/// let cursor: Cursor = "r6873".parse()?;
/// assert_eq!(cursor.to_string(), "r6873");
/// assert!("r68x".parse::<Cursor>().is_err());
/// # Ok::<(), privgraph::lookup::LookupError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(Position);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Position {
    /// After this resource id.
    Resource(String),
    /// After this subject.
    Subject(MemberType, String),
}

impl Cursor {
    fn tag(&self) -> char {
        match &self.0 {
            Position::Resource(_) => 'r',
            Position::Subject(MemberType::User, _) => 'u',
            Position::Subject(MemberType::Group, _) => 'g',
        }
    }

    fn id(&self) -> &str {
        match &self.0 {
            Position::Resource(id) | Position::Subject(_, id) => id,
        }
    }
}

impl fmt::Display for Cursor {
    /// A tag (`r` resource, `u` user, `g` group) and the id's bytes in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.tag())?;
        for byte in self.id().bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for Cursor {
    type Err = LookupError;
    fn from_str(s: &str) -> Result<Cursor, LookupError> {
        let bad = || LookupError::BadCursor(s.chars().take(64).collect());
        let mut chars = s.chars();
        let tag = chars.next().ok_or_else(bad)?;
        let hex = chars.as_str().as_bytes();
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return Err(bad());
        }
        let digit = |b: u8| (b as char).to_digit(16).ok_or_else(bad);
        let bytes = hex
            .chunks(2)
            .map(|pair| Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
            .collect::<Result<Vec<u8>, LookupError>>()?;
        let id = String::from_utf8(bytes).map_err(|_| bad())?;
        Ok(Cursor(match tag {
            'r' => Position::Resource(id),
            'u' => Position::Subject(MemberType::User, id),
            'g' => Position::Subject(MemberType::Group, id),
            _ => return Err(bad()),
        }))
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which page of a by-id lookup to answer: after `cursor` (from the start without
/// one), at most `limit` entries (every one without a limit).
///
/// ```
/// use privgraph::lookup::PageRequest;
/// assert_eq!(PageRequest::default(), PageRequest { cursor: None, limit: None });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Where the previous page stopped.
    pub cursor: Option<Cursor>,
    /// The most entries to answer.
    pub limit: Option<NonZeroUsize>,
}

/// Why a by-id lookup has no answer.
///
/// ```
/// use privgraph::lookup::LookupError;
/// assert_eq!(LookupError::BadCursor("zz".into()).to_string(),
///            "bad cursor \"zz\": pass back a `next` value of the same lookup");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No such subject or entity, or no such privilege in the kind's vocabulary.
    #[error(transparent)]
    Unknown(#[from] InspectError),
    /// The cursor is not one this kind of lookup hands out.
    #[error("bad cursor {0:?}: pass back a `next` value of the same lookup")]
    BadCursor(String),
}

/// The answer of [`resources_by_id`], serialized as `{"ids": [...], "next": C | null}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceIds {
    /// The ids, sorted by their bytes.
    pub ids: Vec<String>,
    /// Where the next page starts, when more follow.
    pub next: Option<Cursor>,
}

impl Serialize for ResourceIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ResourceIds", 2)?;
        s.serialize_field("ids", &self.ids)?;
        s.serialize_field("next", &self.next)?;
        s.end()
    }
}

/// The answer of [`subjects_by_id`], serialized as
/// `{"users": [...], "groups": [...], "next": C | null}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectIds {
    /// User ids, sorted by their bytes.
    pub users: Vec<String>,
    /// Group ids, sorted by their bytes.
    pub groups: Vec<String>,
    /// Where the next page starts, when more follow.
    pub next: Option<Cursor>,
}

impl Serialize for SubjectIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("SubjectIds", 3)?;
        s.serialize_field("users", &self.users)?;
        s.serialize_field("groups", &self.groups)?;
        s.serialize_field("next", &self.next)?;
        s.end()
    }
}

fn ids_of<K: Kind>(graph: &Graph, keys: Vec<Key<K>>) -> Vec<String> {
    keys.into_iter()
        .filter_map(|key| graph.id(key).map(str::to_owned))
        .collect()
}

/// [`Graph::lookup_resources`] by ids and names: every entity of `kind` where
/// `subject` holds the privilege called `privilege` (a name of the kind's vocabulary),
/// one page of them. The page's `next` cursor resumes exactly after its last id.
///
/// Errors: [`LookupError::Unknown`] for an unknown subject or privilege name,
/// [`LookupError::BadCursor`] for a cursor of another lookup. Cost: that of the typed
/// lookup, plus copying the ids of the page.
///
/// ```
/// use std::num::NonZeroUsize;
/// use privgraph::graph::TargetKind;
/// use privgraph::lookup::{PageRequest, resources_by_id};
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}],
///     "spaces": [{"id": "s1", "users": {"u1": ["space_view"]}}, {"id": "s2", "users": {"u1": ["space_view"]}}]}"#)?;
/// let first = resources_by_id(&graph, &"user:u1".parse()?, TargetKind::Space, "space_view",
///     &PageRequest { cursor: None, limit: NonZeroUsize::new(1) })?;
/// assert_eq!(serde_json::to_string(&first)?, r#"{"ids":["s1"],"next":"r7331"}"#);
/// let rest = resources_by_id(&graph, &"user:u1".parse()?, TargetKind::Space, "space_view",
///     &PageRequest { cursor: first.next, limit: NonZeroUsize::new(1) })?;
/// assert_eq!(serde_json::to_string(&rest)?, r#"{"ids":["s2"],"next":null}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resources_by_id(
    graph: &Graph,
    subject: &Subject,
    kind: TargetKind,
    privilege: &str,
    page: &PageRequest,
) -> Result<ResourceIds, LookupError> {
    let after = match &page.cursor {
        None => None,
        Some(Cursor(Position::Resource(id))) => Some(id.as_str()),
        Some(other) => return Err(LookupError::BadCursor(other.to_string())),
    };
    let limit = page.limit.unwrap_or(NonZeroUsize::MAX);
    fn run<M: MemberKind, T: Target>(
        graph: &Graph,
        subject: &str,
        privilege: &str,
        after: Option<&str>,
        limit: NonZeroUsize,
    ) -> Result<ResourceIds, LookupError> {
        let wanted = privilege_named::<T::Privileges>(privilege)?;
        let subject = entity_named::<M>(graph, subject)?;
        let page = graph
            .lookup_resources::<M, T>(subject, wanted)
            .page(after, limit);
        Ok(ResourceIds {
            ids: ids_of(graph, page.keys),
            next: page
                .next
                .map(|id| Cursor(Position::Resource(id.to_owned()))),
        })
    }
    with_target_kind!(kind, T => match subject.kind {
        MemberType::User => run::<User, T>(graph, &subject.id, privilege, after, limit),
        MemberType::Group => run::<Group, T>(graph, &subject.id, privilege, after, limit),
    })
}

/// [`Graph::lookup_subjects`] by ids and names: every user and group that holds the
/// privilege called `privilege` in the `kind` entity `id`, one page of them (users
/// first, then groups; `next` resumes exactly after the last subject returned).
///
/// Errors and cost: as [`resources_by_id`].
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::lookup::{PageRequest, subjects_by_id};
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
///     "groups": [{"id": "g1", "users": {"u2": []}}],
///     "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_view"]},
///                         "groups": {"g1": ["handle_service_view"]}}]}"#)?;
/// let who = subjects_by_id(&graph, TargetKind::HandleService, "hs1", "handle_service_view",
///     &PageRequest::default())?;
/// assert_eq!(serde_json::to_string(&who)?, r#"{"users":["u1","u2"],"groups":["g1"],"next":null}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn subjects_by_id(
    graph: &Graph,
    kind: TargetKind,
    id: &str,
    privilege: &str,
    page: &PageRequest,
) -> Result<SubjectIds, LookupError> {
    let after = match &page.cursor {
        None => None,
        Some(Cursor(Position::Subject(kind, id))) => Some((*kind, id.as_str())),
        Some(other) => return Err(LookupError::BadCursor(other.to_string())),
    };
    let limit = page.limit.unwrap_or(NonZeroUsize::MAX);
    fn run<T: Target>(
        graph: &Graph,
        id: &str,
        privilege: &str,
        after: Option<(MemberType, &str)>,
        limit: NonZeroUsize,
    ) -> Result<SubjectIds, LookupError> {
        let wanted = privilege_named::<T::Privileges>(privilege)?;
        let target = entity_named::<T>(graph, id)?;
        let page = graph.lookup_subjects(target, wanted).page(after, limit);
        Ok(SubjectIds {
            users: ids_of(graph, page.users),
            groups: ids_of(graph, page.groups),
            next: page
                .next
                .map(|(kind, id)| Cursor(Position::Subject(kind, id.to_owned()))),
        })
    }
    with_target_kind!(kind, T => run::<T>(graph, id, privilege, after, limit))
}
