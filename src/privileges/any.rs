//! A privilege set of any vocabulary, for the places that hold sets of
//! several vocabularies side by side (change batches, typed answers, rules).

use serde::{Serialize, Serializer};

use super::{
    PrivilegeListError, PrivilegeNameError, PrivilegeUpdate, Privileges, UpdateBodyError,
    Vocabulary,
};

/// Defines [`AnyPrivileges`] from the list of vocabularies.
macro_rules! any_privileges {
    ([] $( $(#[$doc:meta])* $Variant:ident($Type:ident) = $name:literal, )+) => {
        /// A privilege set tagged with its vocabulary.
        ///
        /// Serializes as the set's names (sorted), like every vocabulary type; reading one
        /// back needs the vocabulary ([`AnyPrivileges::from_names`]).
        ///
        /// ```
        /// use privgraph::privileges::{AnyPrivileges, HandlePrivileges as H, Vocabulary};
        /// let any = AnyPrivileges::from(H::HANDLE_VIEW);
        /// assert_eq!(any.vocabulary(), Vocabulary::Handle);
        /// assert_eq!(any.names(), ["handle_view"]);
        /// assert_eq!(any.get::<H>(), Some(H::HANDLE_VIEW));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AnyPrivileges {
            $(
                #[doc = concat!("A set of [`", stringify!($Type), "`](super::", stringify!($Type), ").")]
                $Variant(super::$Type),
            )+
        }

        $(
            impl From<super::$Type> for AnyPrivileges {
                fn from(set: super::$Type) -> Self {
                    AnyPrivileges::$Variant(set)
                }
            }
        )+

        impl AnyPrivileges {
            /// The vocabulary of the set.
            pub fn vocabulary(self) -> Vocabulary {
                match self {
                    $(AnyPrivileges::$Variant(_) => Vocabulary::$Variant,)+
                }
            }

            /// The names in the set, sorted.
            pub fn names(self) -> Vec<&'static str> {
                match self {
                    $(AnyPrivileges::$Variant(set) => set.names().collect(),)+
                }
            }

            /// Whether the set is empty.
            ///
            /// ```
            /// use privgraph::privileges::{AnyPrivileges, Vocabulary};
            /// assert!(AnyPrivileges::empty(Vocabulary::Oz).is_empty());
            /// ```
            pub fn is_empty(self) -> bool {
                match self {
                    $(AnyPrivileges::$Variant(set) => set.is_empty(),)+
                }
            }

            /// The empty set of a vocabulary.
            pub fn empty(vocabulary: Vocabulary) -> Self {
                match vocabulary {
                    $(Vocabulary::$Variant => AnyPrivileges::$Variant(<super::$Type>::empty()),)+
                }
            }

            /// The whole vocabulary.
            ///
            /// ```
            /// use privgraph::privileges::{AnyPrivileges, Vocabulary};
            /// assert_eq!(AnyPrivileges::all(Vocabulary::Handle).names().len(), 3);
            /// ```
            pub fn all(vocabulary: Vocabulary) -> Self {
                match vocabulary {
                    $(Vocabulary::$Variant => AnyPrivileges::$Variant(<super::$Type>::all()),)+
                }
            }

            /// Parses current names of `vocabulary` (legacy names are refused).
            ///
            /// ```
            /// use privgraph::privileges::{AnyPrivileges, SpacePrivileges as S, Vocabulary};
            /// let set = AnyPrivileges::from_names(Vocabulary::Space, ["space_view"])?;
            /// assert_eq!(set, AnyPrivileges::from(S::SPACE_VIEW));
            /// assert!(AnyPrivileges::from_names(Vocabulary::Space, ["group_view"]).is_err());
            /// # Ok::<(), privgraph::privileges::PrivilegeNameError>(())
            /// ```
            pub fn from_names<'a>(
                vocabulary: Vocabulary,
                names: impl IntoIterator<Item = &'a str>,
            ) -> Result<Self, PrivilegeNameError> {
                fn parse<'a, P: Privileges>(
                    names: impl IntoIterator<Item = &'a str>,
                ) -> Result<P, PrivilegeNameError> {
                    names.into_iter().try_fold(P::empty(), |set, name| {
                        Ok(set.union(P::parse_name(name)?))
                    })
                }
                Ok(match vocabulary {
                    $(Vocabulary::$Variant => AnyPrivileges::$Variant(parse::<super::$Type>(names)?),)+
                })
            }

            /// Every name of the set's vocabulary, sorted (Onezone's `allowed` lists).
            pub fn allowed(vocabulary: Vocabulary) -> &'static [&'static str] {
                match vocabulary {
                    $(Vocabulary::$Variant => <super::$Type>::NAMES,)+
                }
            }

            /// The presets of a vocabulary (name and set), smallest first.
            ///
            /// ```
            /// use privgraph::privileges::{AnyPrivileges, Vocabulary};
            /// let names: Vec<_> = AnyPrivileges::presets(Vocabulary::Oz).into_iter().map(|(n, _)| n).collect();
            /// assert_eq!(names, ["viewer", "admin"]);
            /// ```
            pub fn presets(vocabulary: Vocabulary) -> Vec<(&'static str, AnyPrivileges)> {
                match vocabulary {
                    $(Vocabulary::$Variant => <super::$Type>::PRESETS
                        .iter()
                        .map(|p| (p.name, AnyPrivileges::$Variant(p.privileges)))
                        .collect(),)+
                }
            }
        }
    };
}

super::for_each_vocabulary!(any_privileges);

/// Runs `$body` with `$P` bound to the privilege type of the [`Vocabulary`] `$vocabulary`.
macro_rules! with_vocabulary {
    ($vocabulary:expr, $P:ident => $body:expr) => {
        $crate::privileges::for_each_vocabulary!(
            $crate::privileges::any::vocabulary_arms [$vocabulary, $P => $body]
        )
    };
}

/// The `match` of [`with_vocabulary!`], one arm per row of the list of vocabularies.
macro_rules! vocabulary_arms {
    ([$vocabulary:expr, $P:ident => $body:expr]
     $( $(#[$doc:meta])* $Variant:ident($Name:ident) = $name:literal, )+) => {
        match $vocabulary {
            $(
                $crate::privileges::Vocabulary::$Variant => {
                    type $P = $crate::privileges::$Name;
                    $body
                }
            )+
        }
    };
}
pub(crate) use vocabulary_arms;

impl AnyPrivileges {
    /// The set as vocabulary `P`, or `None` when it is of another vocabulary.
    pub fn get<P: Privileges>(self) -> Option<P> {
        P::from_any(self)
    }

    /// Parses a JSON list of current names of `vocabulary` under body key `key`, with
    /// Onezone's errors (see [`Privileges::parse_list`]).
    ///
    /// ```
    /// use privgraph::privileges::{AnyPrivileges, Vocabulary};
    /// let set = AnyPrivileges::parse_list(Vocabulary::Handle, "grant", &serde_json::json!(["handle_view"]))?;
    /// assert_eq!(set.names(), ["handle_view"]);
    /// # Ok::<(), privgraph::privileges::PrivilegeListError>(())
    /// ```
    pub fn parse_list(
        vocabulary: Vocabulary,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<AnyPrivileges, PrivilegeListError> {
        with_vocabulary!(vocabulary, P => P::parse_list(key, value).map(P::into_any))
    }

    /// As [`AnyPrivileges::parse_list`], also accepting legacy v3 names.
    pub fn parse_legacy_list(
        vocabulary: Vocabulary,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<AnyPrivileges, PrivilegeListError> {
        with_vocabulary!(vocabulary, P => P::parse_legacy_list(key, value).map(P::into_any))
    }

    /// Reads a `{"grant": [...], "revoke": [...]}` body of `vocabulary` (see
    /// [`PrivilegeUpdate::from_grant_revoke_body`]).
    ///
    /// ```
    /// use privgraph::privileges::{AnyPrivileges, HandlePrivileges as H, PrivilegeUpdate, Vocabulary};
    /// let body = serde_json::json!({"grant": ["handle_update"]});
    /// let update = AnyPrivileges::grant_revoke(Vocabulary::Handle, body.as_object().unwrap())?;
    /// let now = AnyPrivileges::from(H::HANDLE_VIEW).updated(&update);
    /// assert_eq!(now, Some(AnyPrivileges::from(H::HANDLE_VIEW | H::HANDLE_UPDATE)));
    /// # Ok::<(), privgraph::privileges::UpdateBodyError>(())
    /// ```
    pub fn grant_revoke(
        vocabulary: Vocabulary,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<PrivilegeUpdate<AnyPrivileges>, UpdateBodyError> {
        with_vocabulary!(vocabulary, P => {
            Ok(match PrivilegeUpdate::<P>::from_grant_revoke_body(body)? {
                PrivilegeUpdate::Set(set) => PrivilegeUpdate::Set(set.into_any()),
                PrivilegeUpdate::GrantRevoke { grant, revoke } => PrivilegeUpdate::GrantRevoke {
                    grant: grant.into_any(),
                    revoke: revoke.into_any(),
                },
            })
        })
    }

    /// The set after `update` (Onezone's algebra), or `None` when the update is of
    /// another vocabulary.
    pub fn updated(self, update: &PrivilegeUpdate<AnyPrivileges>) -> Option<AnyPrivileges> {
        fn apply<P: Privileges>(current: P, update: &PrivilegeUpdate<AnyPrivileges>) -> Option<P> {
            let typed = match *update {
                PrivilegeUpdate::Set(set) => PrivilegeUpdate::Set(P::from_any(set)?),
                PrivilegeUpdate::GrantRevoke { grant, revoke } => PrivilegeUpdate::GrantRevoke {
                    grant: P::from_any(grant)?,
                    revoke: P::from_any(revoke)?,
                },
            };
            Some(typed.apply(current).privileges)
        }
        with_vocabulary!(self.vocabulary(), P => {
            apply::<P>(P::from_any(self)?, update).map(P::into_any)
        })
    }
}

impl Serialize for AnyPrivileges {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

impl std::fmt::Display for AnyPrivileges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.names().join(" | "))
    }
}
