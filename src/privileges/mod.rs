//! The privilege vocabularies of Onezone and their update algebra.
//!
//! Every vocabulary is one [`bitflags`] type whose flags carry Onezone's exact names
//! (`group_view`, `handle_service_update`, `oz_set_privileges`, …). All implement
//! [`Privileges`], so the layers above are written once, generically: name ↔ flag
//! conversion, iteration in name order, the presets (member / manager / admin, or
//! viewer / admin for oz privileges) and Onezone's list validation.
//!
//! A set is a few machine words and `Copy`; union, difference and containment are single
//! bit operations. Serde writes a set as an array of names sorted by name and reads one
//! back, refusing unknown names.
//!
//! # Bits are not a storage format
//!
//! Bit `i` of a set is the `i`-th name of its vocabulary in sorted order. That is an
//! in-memory detail: it changes whenever a vocabulary gains or loses a name (as Onezone's
//! vocabularies do between releases), and the same bit means unrelated privileges in two
//! vocabularies. The `bits()` and `from_bits*` methods that `bitflags` generates stay,
//! because its [`Flags`](bitflags::Flags) trait (on which the generic code here is built)
//! requires them, but a mask computed anywhere else — stored, received, or written in
//! another order — compiles and grants the wrong privileges. Names are the only stable
//! form: serde, `Display` / `FromStr`, [`Privileges::names`] and
//! [`Privileges::from_onezone_name`].
//!
//! ```
//! use privgraph::privileges::{HandleServicePrivileges, Privileges, PrivilegeUpdate};
//!
//! let current = HandleServicePrivileges::member();
//! let update = PrivilegeUpdate::grant_revoke(
//!     Some(HandleServicePrivileges::HANDLE_SERVICE_UPDATE),
//!     Some(HandleServicePrivileges::HANDLE_SERVICE_VIEW),
//! )?;
//! let applied = update.apply(current);
//! assert!(applied.changed);
//! assert_eq!(
//!     applied.privileges.names().collect::<Vec<_>>(),
//!     ["handle_service_list_handles", "handle_service_register_handle", "handle_service_update"],
//! );
//! # Ok::<(), privgraph::privileges::MissingGrantAndRevoke>(())
//! ```
//!
//! Costs: every set operation is O(1); name lookup is a binary search over the sorted
//! names of the vocabulary (at most 7 comparisons, 91 names); iterating names is
//! O(vocabulary size). Nothing here allocates except error values and `Vec`s the caller
//! asks for.

mod algebra;
mod any;
mod parse;
mod vocabularies;

use std::fmt::Debug;
use std::hash::Hash;

pub use algebra::{Applied, MissingGrantAndRevoke, PrivilegeUpdate, UpdateBodyError};
pub use any::AnyPrivileges;
pub use parse::{PrivilegeListError, PrivilegeNameError};
pub(crate) use vocabularies::for_each_vocabulary;

/// Defines [`Vocabulary`] and re-exports the privilege types, from the list of
/// vocabularies.
macro_rules! vocabulary_enum {
    ([] $( $(#[$doc:meta])* $Variant:ident($Type:ident) = $name:literal, )+) => {
        pub use vocabularies::{$($Type),+};

        /// Which of Onezone's privilege vocabularies a set belongs to.
        ///
        /// ```
        /// use privgraph::privileges::{Privileges, SpacePrivileges, Vocabulary};
        /// assert_eq!(SpacePrivileges::VOCABULARY, Vocabulary::Space);
        /// assert_eq!(Vocabulary::Space.to_string(), "space");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Vocabulary {
            $( $(#[$doc])* $Variant, )+
        }

        impl Vocabulary {
            /// Every vocabulary, in declaration order (oz privileges last).
            ///
            /// ```
            /// use privgraph::privileges::Vocabulary;
            /// assert_eq!(Vocabulary::ALL.first(), Some(&Vocabulary::Group));
            /// assert_eq!(Vocabulary::ALL.last(), Some(&Vocabulary::Oz));
            /// ```
            pub const ALL: [Vocabulary; <[&str]>::len(&[$($name),+])] =
                [$(Vocabulary::$Variant),+];

            /// The name Onezone's privilege atoms start with, as used in messages.
            ///
            /// ```
            /// use privgraph::privileges::Vocabulary;
            /// assert_eq!(Vocabulary::AtmInventory.as_str(), "atm_inventory");
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Vocabulary::$Variant => $name,)+
                }
            }
        }
    };
}
vocabularies::for_each_vocabulary!(vocabulary_enum);

impl std::fmt::Display for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named preset of a vocabulary, as Onezone's `GET /{kind}/privileges` lists them.
///
/// ```
/// use privgraph::privileges::{GroupPrivileges, Privileges};
/// let names: Vec<_> = GroupPrivileges::PRESETS.iter().map(|p| p.name).collect();
/// assert_eq!(names, ["member", "manager", "admin"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset<P: 'static> {
    /// `member`, `manager`, `admin` or (oz) `viewer`.
    pub name: &'static str,
    /// The privileges of the preset.
    pub privileges: P,
}

/// What all vocabularies share; the layers above are written once against it.
///
/// Implemented only by the types of this module (the names table is the single source
/// of truth for each vocabulary: bit `i` of a set is the `i`-th name in sorted order,
/// which is why [bits are not a storage format](self#bits-are-not-a-storage-format)).
///
/// ```
/// use privgraph::privileges::{HandlePrivileges, Privileges};
///
/// let view = HandlePrivileges::from_onezone_name("handle_view").unwrap();
/// assert_eq!(view, HandlePrivileges::HANDLE_VIEW);
/// assert_eq!(view.name(), Some("handle_view"));
/// assert_eq!(HandlePrivileges::admin().names().collect::<Vec<_>>(),
///            ["handle_delete", "handle_update", "handle_view"]);
/// ```
pub trait Privileges:
    bitflags::Flags + Copy + Eq + Ord + Hash + Debug + Default + Send + Sync + 'static
{
    /// Which vocabulary this is.
    const VOCABULARY: Vocabulary;
    /// Every name with its flag, sorted by name (bytes); the `allowed` list of Onezone's
    /// `badValueListNotAllowed` is exactly these names.
    const TABLE: &'static [(&'static str, Self)];
    /// Every name, sorted by name (bytes).
    const NAMES: &'static [&'static str];
    /// The presets, smallest first; the first is what a new member gets by default
    /// (member, or viewer for oz privileges) and the last is the whole vocabulary.
    const PRESETS: &'static [Preset<Self>];
    /// Legacy v3 names (handle services and handles only), each with the current
    /// privilege it stands for; sorted by legacy name.
    const LEGACY: &'static [(&'static str, Self)];

    /// This set, tagged with its vocabulary.
    fn into_any(self) -> AnyPrivileges;

    /// The set inside `any` when it is of this vocabulary, else `None`.
    fn from_any(any: AnyPrivileges) -> Option<Self>;

    /// The flag of one current name, or `None`. Case-sensitive; legacy names are not
    /// current names.
    fn from_onezone_name(name: &str) -> Option<Self> {
        Self::TABLE
            .binary_search_by(|(n, _)| n.cmp(&name))
            .ok()
            .map(|i| Self::TABLE[i].1)
    }

    /// The name of a set holding exactly one privilege, else `None`.
    fn name(self) -> Option<&'static str> {
        Self::TABLE
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
    }

    /// The names of the privileges in this set, in name order. Allocates nothing.
    fn names(self) -> Names<Self> {
        Names {
            set: self,
            position: 0,
        }
    }

    /// The preset called `name` (`member`, `manager`, `admin`, `viewer`), if any.
    fn preset(name: &str) -> Option<Self> {
        Self::PRESETS
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.privileges)
    }

    /// The smallest preset: what a member gets when no privileges are given (member;
    /// viewer for oz privileges).
    fn member() -> Self {
        Self::PRESETS[0].privileges
    }

    /// The whole vocabulary (the admin preset of every vocabulary).
    fn admin() -> Self {
        Self::all()
    }

    /// The set as a JSON array of its names in name order, as Onezone answers it.
    ///
    /// ```
    /// use privgraph::privileges::{HandlePrivileges as H, Privileges};
    /// assert_eq!((H::HANDLE_VIEW | H::HANDLE_DELETE).to_json(), serde_json::json!(["handle_delete", "handle_view"]));
    /// ```
    fn to_json(self) -> serde_json::Value {
        serde_json::Value::Array(self.names().map(serde_json::Value::from).collect())
    }

    /// Parses one current name; a legacy v3 name is refused with its own error.
    fn parse_name(name: &str) -> Result<Self, PrivilegeNameError> {
        parse::parse_name::<Self>(name, false)
    }

    /// Parses one current **or** legacy v3 name (Onezone's legacy `PUT …/privileges`
    /// routes of handle services and handles, which date from the v3 API).
    fn parse_legacy_name(name: &str) -> Result<Self, PrivilegeNameError> {
        parse::parse_name::<Self>(name, true)
    }

    /// Parses a JSON value that must be a list of current names, reporting what Onezone
    /// reports for body key `key` (see [`PrivilegeListError`]).
    fn parse_list(key: &str, value: &serde_json::Value) -> Result<Self, PrivilegeListError> {
        parse::parse_list::<Self>(key, value, false)
    }

    /// As [`Privileges::parse_list`], also accepting legacy v3 names.
    fn parse_legacy_list(key: &str, value: &serde_json::Value) -> Result<Self, PrivilegeListError> {
        parse::parse_list::<Self>(key, value, true)
    }
}

/// Iterator over the names of a privilege set, in name order; see [`Privileges::names`].
#[derive(Debug, Clone)]
pub struct Names<P: Privileges> {
    set: P,
    position: usize,
}

impl<P: Privileges> Iterator for Names<P> {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        while let Some((name, flag)) = P::TABLE.get(self.position) {
            self.position += 1;
            if self.set.contains(*flag) {
                return Some(name);
            }
        }
        None
    }
}

/// Index of `name` in `names`, for the bit positions of a vocabulary (compile time).
/// Panics (a compile error in const context) when the name is missing.
const fn index_of(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        if str_eq(names[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("privilege name missing from its vocabulary table")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `names` is strictly ascending by bytes (checked at compile time, because
/// binary search and "iteration in name order" rely on it).
const fn strictly_sorted(names: &[&str]) -> bool {
    let mut i = 1;
    while i < names.len() {
        if !str_less(names[i - 1], names[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn str_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// Defines one vocabulary: a bitflags type whose bit `i` is the `i`-th name of the
/// (sorted) table, its [`Privileges`] impl, `Display`/`FromStr` and serde.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $Name:ident: $Bits:ty, $vocabulary:ident {
            $( $FLAG:ident = $name:literal, )+
        }
        presets { $( $preset:literal = [$($PFLAG:ident),* $(,)?], )+ }
        legacy { $( $legacy:literal = $LFLAG:ident, )* }
    ) => {
        const NAMES: &[&str] = &[$($name),+];
        const _: () = assert!($crate::privileges::strictly_sorted(NAMES), "names must be sorted");

        bitflags::bitflags! {
            $(#[$meta])*
            ///
            /// # Bits are not a storage format
            ///
            /// Each privilege's bit is its position in this vocabulary's names sorted by
            /// name, so the bits of a privilege move whenever the vocabulary gains or loses
            /// a name, and a mask built for another order (Onezone's own declaration order,
            /// an older release, another vocabulary) compiles and silently means other
            /// privileges. `bits()` and the `from_bits*` constructors exist because
            /// `bitflags` generates them and the [`Flags`](bitflags::Flags) trait the code
            /// relies on needs them: use them only within one process. Store and exchange
            /// privileges by name: serde (an array of names), `Display` / `FromStr`,
            /// [`Privileges::names`] and [`Privileges::from_onezone_name`].
            ///
            /// ```
            #[doc = concat!("use privgraph::privileges::{", stringify!($Name), ", Privileges};")]
            #[doc = concat!("let set = ", stringify!($Name), "::member();")]
            /// let stored = serde_json::to_string(&set)?; // names, not bits
            #[doc = concat!("assert_eq!(serde_json::from_str::<", stringify!($Name), ">(&stored)?, set);")]
            /// # Ok::<(), serde_json::Error>(())
            /// ```
            #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub struct $Name: $Bits {
                $(
                    #[doc = concat!("`", $name, "`")]
                    const $FLAG = 1 << $crate::privileges::index_of(NAMES, $name);
                )+
            }
        }

        impl $crate::privileges::Privileges for $Name {
            const VOCABULARY: $crate::privileges::Vocabulary =
                $crate::privileges::Vocabulary::$vocabulary;
            const TABLE: &'static [(&'static str, Self)] = &[$(($name, Self::$FLAG)),+];
            const NAMES: &'static [&'static str] = NAMES;
            const PRESETS: &'static [$crate::privileges::Preset<Self>] = &[$(
                $crate::privileges::Preset {
                    name: $preset,
                    privileges: Self::empty()$(.union(Self::$PFLAG))*,
                }
            ),+];
            const LEGACY: &'static [(&'static str, Self)] = &[$(($legacy, Self::$LFLAG)),*];

            fn into_any(self) -> $crate::privileges::AnyPrivileges {
                $crate::privileges::AnyPrivileges::$vocabulary(self)
            }

            fn from_any(any: $crate::privileges::AnyPrivileges) -> Option<Self> {
                match any {
                    $crate::privileges::AnyPrivileges::$vocabulary(set) => Some(set),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }

        impl Default for $Name {
            fn default() -> Self {
                Self::empty()
            }
        }

        impl std::fmt::Debug for $Name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_set()
                    .entries($crate::privileges::Privileges::names(*self))
                    .finish()
            }
        }

        /// Names joined by `" | "`, in name order; one privilege prints as its name.
        impl std::fmt::Display for $Name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                $crate::privileges::parse::write_names(*self, f)
            }
        }

        /// Parses current names joined by `|` (whitespace around names ignored); the
        /// empty string is the empty set.
        impl std::str::FromStr for $Name {
            type Err = $crate::privileges::PrivilegeNameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::privileges::parse::parse_joined(s)
            }
        }

        impl serde::Serialize for $Name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq($crate::privileges::Privileges::names(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $Name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_seq($crate::privileges::parse::SetVisitor::<Self>::new())
            }
        }
    };
}
use vocabulary;
