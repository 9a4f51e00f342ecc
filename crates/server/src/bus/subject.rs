//! Subject names: every subject of one deployment starts with `amparo.<cluster>.`, so several
//! deployments (or several tests) can share one NATS server without hearing each other.

/// A deployment's subjects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

/// The cluster's name is one subject token: letters, digits, `-` and `_`.
#[derive(Debug, thiserror::Error)]
#[error("bus_cluster must be 1 to 64 letters, digits, '-' or '_' (it is one token of every NATS subject); got {0:?}")]
pub struct InvalidCluster(pub String);

impl Subjects {
    pub fn new(cluster: &str) -> Result<Self, InvalidCluster> {
        let valid = (1..=64).contains(&cluster.len())
            && cluster
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(InvalidCluster(cluster.chars().take(64).collect()));
        }
        Ok(Self {
            prefix: format!("amparo.{cluster}"),
        })
    }

    /// `amparo.<cluster>.<rest>`.
    pub fn named(&self, rest: &str) -> String {
        format!("{}.{rest}", self.prefix)
    }
}

/// Whether `subject` matches `pattern` the way NATS matches them: `*` stands for one token, a
/// final `>` for one or more.
pub fn matches(pattern: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for token in pattern.split('.') {
        if token == ">" {
            return subject_tokens.next().is_some();
        }
        match subject_tokens.next() {
            Some(s) if token == "*" || token == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_as_nats_matches_them() {
        assert!(matches("a.b.c", "a.b.c"));
        assert!(!matches("a.b.c", "a.b"));
        assert!(!matches("a.b", "a.b.c"));
        assert!(matches("a.*.c", "a.x.c"));
        assert!(!matches("a.*", "a.x.c"));
        assert!(matches("a.>", "a.x.c"));
        assert!(matches("a.>", "a.x"));
        assert!(!matches("a.>", "a"));
        assert!(!matches("b.>", "a.x"));
    }

    #[test]
    fn a_cluster_name_is_one_token() {
        assert_eq!(
            Subjects::new("city-a_1").expect("valid").named("live.>"),
            "amparo.city-a_1.live.>"
        );
        for bad in ["", "a.b", "a*", "a>", "a b", &"x".repeat(65)] {
            assert!(Subjects::new(bad).is_err(), "{bad:?}");
        }
    }
}
