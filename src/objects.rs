//! Records read only from JSON objects.
//!
//! serde's derived `Deserialize` for a struct also accepts a sequence of its fields in
//! declaration order, so `"users": [["u1"]]` would read as a user `u1`. privgraph's
//! formats (snapshots, scenarios, batch queries) name every field: a positional array is
//! a mistake to refuse, not a shorthand. [`objects_only!`] takes a type whose serde
//! derives are generated as inherent functions (`#[serde(remote = "Self")]`) and gives
//! it a `Deserialize` that accepts only a JSON object (and, on request, the derived
//! `Serialize` unchanged).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{MapAccess, Visitor, value::MapAccessDeserializer};

/// A record whose derived deserializer is reached only through a JSON object.
pub(crate) trait FromObject<'de>: Sized {
    /// What the error says was expected, e.g. "a JSON object for a user entry".
    const EXPECTING: &'static str;

    /// The derived (field by field) deserializer.
    fn from_object<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Visits a map only: anything else, a sequence included, is refused with
/// `invalid type: sequence, expected <EXPECTING>`.
pub(crate) struct ObjectVisitor<T>(pub(crate) PhantomData<T>);

impl<'de, T: FromObject<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_object(MapAccessDeserializer::new(map))
    }
}

/// For each `Type => "what it is"` (the type deriving serde with
/// `#[serde(remote = "Self")]`): `Deserialize` from a JSON object only; with a leading
/// `serialize:`, also `Serialize` as derived. A type with one type parameter is written
/// `Type<P>`.
macro_rules! objects_only {
    (serialize: $($name:ident $(<$param:ident>)? => $what:literal),* $(,)?) => {$(
        $crate::objects::objects_only!($name $(<$param>)? => $what);

        impl$(<$param: serde::Serialize>)? serde::Serialize for $name $(<$param>)? {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $name::serialize(self, serializer)
            }
        }
    )*};
    ($($name:ident $(<$param:ident>)? => $what:literal),* $(,)?) => {$(
        impl<'de $(, $param: serde::Deserialize<'de>)?> $crate::objects::FromObject<'de>
            for $name $(<$param>)?
        {
            const EXPECTING: &'static str = concat!("a JSON object for ", $what);

            fn from_object<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $name::deserialize(deserializer)
            }
        }

        impl<'de $(, $param: serde::Deserialize<'de>)?> serde::Deserialize<'de>
            for $name $(<$param>)?
        {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_map($crate::objects::ObjectVisitor::<Self>(
                    std::marker::PhantomData,
                ))
            }
        }
    )*};
}

pub(crate) use objects_only;
