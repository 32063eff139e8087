//! The tokens file: which bearer token authenticates as whom.

use std::io::Read;
use std::path::{Path, PathBuf};

use privgraph::logic::Auth;

/// Why a tokens file was refused. The server keeps the tokens it had when a reload
/// fails, and refuses to start (exit 2) when the first load fails.
///
/// ```
/// use privgraph_server::{Tokens, TokensError};
/// let err = Tokens::parse(r#"{"t1": "admin"}"#).unwrap_err();
/// assert!(matches!(err, TokensError::Invalid(_)));
/// assert_eq!(err.to_string(),
///            "the tokens file is not valid: token 1 maps to \"admin\"; a token maps to \"root\" or \"user:ID\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokensError {
    /// The file cannot be read.
    #[error("cannot read the tokens file {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's message.
        message: String,
    },
    /// The file can be read by its group or by others: tokens are secrets.
    #[error(
        "the tokens file {} can be read by group or others (mode {mode:o}); make it private with chmod 600",
        path.display()
    )]
    Readable {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not a JSON object mapping tokens to `"root"` or `"user:ID"`.
    #[error("the tokens file is not valid: {0}")]
    Invalid(String),
}

/// The tokens a server accepts, each with who it authenticates as (`root` or a user).
///
/// Tokens are kept as BLAKE3 digests and a presented token is compared with every one
/// of them in constant time, so neither the time a lookup takes nor what it allocates
/// depends on how much of a token an attacker guessed.
///
/// ```
/// use privgraph::logic::Auth;
/// use privgraph_server::Tokens;
/// let tokens = Tokens::parse(r#"{"s3cr3t": "root", "alice-token": "user:alice"}"#)?;
/// assert_eq!(tokens.len(), 2);
/// assert_eq!(tokens.lookup("alice-token"), Some(&Auth::User("alice".into())));
/// assert_eq!(tokens.lookup("alice-toke"), None);
/// # Ok::<(), privgraph_server::TokensError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<(blake3::Hash, Auth)>,
}

impl Tokens {
    /// Reads the tokens file at `path`: refused when group or others may read it
    /// ([`TokensError::Readable`]), when it cannot be read, or when it is not a JSON
    /// object of non-empty tokens to `"root"` or `"user:ID"`.
    pub fn load(path: &Path) -> Result<Tokens, TokensError> {
        let read_error = |err: std::io::Error| TokensError::Read {
            path: path.to_owned(),
            message: err.to_string(),
        };
        let mut file = std::fs::File::open(path).map_err(read_error)?;
        // The permissions of the file opened, not of whatever the path names later.
        let mode = permission_bits(&file.metadata().map_err(read_error)?);
        if mode & 0o077 != 0 {
            return Err(TokensError::Readable {
                path: path.to_owned(),
                mode,
            });
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(read_error)?;
        Tokens::parse(&text)
    }

    /// Parses a tokens file's content.
    pub fn parse(text: &str) -> Result<Tokens, TokensError> {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|err| TokensError::Invalid(format!("not a JSON object of tokens: {err}")))?;
        let mut entries = Vec::with_capacity(map.len());
        for (i, (token, value)) in map.iter().enumerate() {
            let n = i + 1;
            if token.is_empty() {
                return Err(TokensError::Invalid(format!("token {n} is empty")));
            }
            let auth = value
                .as_str()
                .and_then(|text| text.parse::<Auth>().ok())
                .filter(|auth| *auth != Auth::Nobody)
                .ok_or_else(|| {
                    TokensError::Invalid(format!(
                        "token {n} maps to {value}; a token maps to \"root\" or \"user:ID\""
                    ))
                })?;
            entries.push((blake3::hash(token.as_bytes()), auth));
        }
        Ok(Tokens { entries })
    }

    /// Who `token` authenticates as, or `None` for a token not in the file. Costs one
    /// BLAKE3 hash of the token and one constant-time comparison per known token.
    pub fn lookup(&self, token: &str) -> Option<&Auth> {
        let presented = blake3::hash(token.as_bytes());
        let mut found = None;
        // Every entry is compared, whatever matched before: the time does not tell
        // which token (or how many bytes of one) matched.
        for (digest, auth) in &self.entries {
            // `blake3::Hash`'s equality is constant-time.
            if *digest == presented {
                found = Some(auth);
            }
        }
        found
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(unix)]
fn permission_bits(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn permission_bits(_: &std::fs::Metadata) -> u32 {
    0o600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_maps_to_root_or_a_user() {
        for bad in [
            r#"{"t": "nobody"}"#,
            r#"{"t": "user:"}"#,
            r#"{"t": 7}"#,
            r#"{"": "root"}"#,
            r#"["t", "root"]"#,
            "not json",
        ] {
            assert!(
                matches!(Tokens::parse(bad), Err(TokensError::Invalid(_))),
                "{bad}"
            );
        }
        let tokens = Tokens::parse(r#"{"a": "root", "b": "user:u1"}"#).unwrap();
        assert_eq!(tokens.lookup("a"), Some(&Auth::Root));
        assert_eq!(tokens.lookup("b"), Some(&Auth::User("u1".into())));
        for unknown in ["", "c", "A", "a ", "ab"] {
            assert_eq!(tokens.lookup(unknown), None, "{unknown:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_readable_by_group_or_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(&path, r#"{"t": "root"}"#).unwrap();
        for (mode, refused) in [(0o600, false), (0o400, false), (0o640, true), (0o604, true)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let loaded = Tokens::load(&path);
            assert_eq!(
                matches!(loaded, Err(TokensError::Readable { mode: m, .. }) if m == mode),
                refused,
                "mode {mode:o}: {loaded:?}"
            );
            if !refused {
                assert_eq!(loaded.unwrap().len(), 1);
            }
        }
        let missing = Tokens::load(&dir.path().join("missing.json"));
        assert!(matches!(missing, Err(TokensError::Read { .. })));
    }
}
