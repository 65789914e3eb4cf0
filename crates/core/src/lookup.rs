//! Finding a record from what a person types: a whole id, the start of one (at least four
//! characters, as with git), or an exact name, ignoring case.

use crate::error::{Error, Result};

pub(crate) fn resolve(
    kind: &'static str,
    query: &str,
    candidates: &[(String, String)],
) -> Result<String> {
    let query = query.trim();
    if let Some((id, _)) = candidates.iter().find(|(id, _)| id == query) {
        return Ok(id.clone());
    }
    let lower = query.to_lowercase();
    let mut matches: Vec<&(String, String)> = if query.len() >= 4 {
        candidates
            .iter()
            .filter(|(id, _)| id.starts_with(&lower))
            .collect()
    } else {
        Vec::new()
    };
    if matches.is_empty() {
        matches = candidates
            .iter()
            .filter(|(_, name)| name.to_lowercase() == lower)
            .collect();
    }
    match matches.as_slice() {
        [] => Err(Error::NotFound {
            kind,
            query: query.to_owned(),
        }),
        [(id, _)] => Ok(id.clone()),
        many => Err(Error::Ambiguous {
            kind,
            query: query.to_owned(),
            candidates: many
                .iter()
                .take(5)
                .map(|(id, name)| format!("{} ({name})", short(id)))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The first eight characters of an id: enough to tell records apart when showing them.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<(String, String)> {
        vec![
            ("a1b2c3d4e5".into(), "Tuesday circle".into()),
            ("a1b2ffff00".into(), "Caregivers".into()),
            ("9999000011".into(), "Grief support".into()),
        ]
    }

    #[test]
    fn ids_prefixes_and_names_resolve() {
        assert_eq!(
            resolve("group", "a1b2c3d4e5", &people()).expect("id"),
            "a1b2c3d4e5"
        );
        assert_eq!(
            resolve("group", "a1b2c", &people()).expect("prefix"),
            "a1b2c3d4e5"
        );
        assert_eq!(
            resolve("group", "grief SUPPORT", &people()).expect("name"),
            "9999000011"
        );
    }

    #[test]
    fn ambiguity_and_absence_are_errors() {
        assert!(matches!(
            resolve("group", "a1b2", &people()),
            Err(Error::Ambiguous { .. })
        ));
        assert!(matches!(
            resolve("group", "nothing", &people()),
            Err(Error::NotFound { .. })
        ));
        // Short prefixes are not guessed at.
        assert!(matches!(
            resolve("group", "a1b", &people()),
            Err(Error::NotFound { .. })
        ));
    }
}
