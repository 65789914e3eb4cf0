//! Opaque 16-byte names. The relay sees only these; what they stand for is known to members.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! tag {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            pub fn from_slice(bytes: &[u8]) -> Result<$name, TagError> {
                <[u8; 16]>::try_from(bytes)
                    .map($name)
                    .map_err(|_| TagError(stringify!($name)))
            }

            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = TagError;

            fn from_str(s: &str) -> Result<$name, TagError> {
                let bytes = hex::decode(s).map_err(|_| TagError(stringify!($name)))?;
                $name::from_slice(&bytes)
            }
        }
    };
}

tag!(
    /// A sync space: one group (or one member's own devices, or one pair of members). Random.
    SpaceId
);
tag!(
    /// A document inside a space, as a keyed hash of its name (see [`crate::NamingKey`]).
    DocTag
);
tag!(
    /// A device inside a space, as a keyed hash of its signing key: the same device has
    /// unrelated tags in different spaces, so the relay cannot link a person's groups.
    DeviceTag
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a {0}: expected 32 hexadecimal characters")]
pub struct TagError(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_as_hex_and_refuse_junk() {
        let space = SpaceId([7; 16]);
        assert_eq!(space.to_string().parse::<SpaceId>(), Ok(space));
        assert!("07".parse::<SpaceId>().is_err());
        assert!("zz".repeat(16).parse::<SpaceId>().is_err());
        assert_eq!(crate::encode(&space).len(), 16, "16 raw bytes on the wire");
    }
}
