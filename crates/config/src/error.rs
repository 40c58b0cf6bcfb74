//! The errors of config parsing: each one names the file, line, column and dotted key, and
//! `ConfigErrors` carries all of them so that `config check` can print every problem at once.

use std::fmt;
use std::path::PathBuf;

/// What is wrong with one place of the config, with a hint on what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The text is not YAML the parser accepts (or breaks a size/nesting/alias limit).
    #[error("the file is not valid YAML ({detail}); fix the syntax here")]
    Syntax {
        /// The parser's own description.
        detail: String,
    },
    /// The file could not be read at all.
    #[error("cannot read the config file ({detail}); check that it exists and is readable")]
    Unreadable {
        /// The I/O error.
        detail: String,
    },
    /// The environment lacks something needed to interpret the file.
    #[error("{detail}")]
    Environment {
        /// What is missing and what to set.
        detail: String,
    },
    /// A key that the schema does not know, probably a typo.
    #[error("unknown key `{name}`{}; remove it or fix its spelling", did_you_mean(.suggestion))]
    UnknownKey {
        /// The key as written.
        name: String,
        /// The closest known key, when one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    /// The value has the wrong YAML type (a list where a string belongs, …).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the schema wants, e.g. "a duration like `30s`".
        expected: String,
        /// What the file has, e.g. "a list".
        found: &'static str,
    },
    /// A required key is absent.
    #[error("is required: {hint}")]
    Missing {
        /// What to add.
        hint: String,
    },
    /// The same key (or name) is given twice.
    #[error("is given twice (first on line {first_line}); keep only one")]
    Duplicate {
        /// Where the first one is.
        first_line: u64,
    },
    /// The value has the right type but is not acceptable; the text says why and what to do.
    #[error("{0}")]
    Invalid(String),
}

/// Formats the "did you mean" part of an unknown-key message.
fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(known) => format!(" (did you mean `{known}`?)"),
        None => String::new(),
    }
}

/// One problem at one place of the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line of the offending node; 0 when the problem is about the whole file.
    pub line: u64,
    /// 1-based column of the offending node; 0 when unknown.
    pub column: u64,
    /// Dotted key of the offending value (`pool.autonomous.max`, `accounts[1].name`); empty for
    /// the whole file.
    pub key: String,
    /// What is wrong and what to do.
    pub problem: Problem,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:", self.line)?;
            if self.column > 0 {
                write!(f, "{}:", self.column)?;
            }
            f.write_str(" ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.problem)
    }
}

/// Every problem found in one config file, sorted by position.
///
/// `Display` prints one line per problem: `path:line:col: key: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// The config file, as given by the caller, so that messages point at it.
    pub path: PathBuf,
    /// The problems, sorted by line then column (whole-file problems first).
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Builds the collection, sorting the problems by position (stable for equal positions).
    pub fn new(path: PathBuf, mut errors: Vec<ConfigError>) -> Self {
        errors.sort_by_key(|error| (error.line, error.column));
        ConfigErrors { path, errors }
    }

    /// A single whole-file problem (unreadable file, missing `$HOME`).
    pub fn whole_file(path: PathBuf, problem: Problem) -> Self {
        let error = ConfigError {
            line: 0,
            column: 0,
            key: String::new(),
            problem,
        };
        ConfigErrors::new(path, vec![error])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            let separator = if error.line > 0 { ":" } else { ": " };
            write!(f, "{}{separator}{error}", self.path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: u64, column: u64, key: &str, problem: Problem) -> ConfigError {
        ConfigError {
            line,
            column,
            key: key.to_owned(),
            problem,
        }
    }

    #[test]
    fn display_sorts_by_line_and_prints_path_line_column_key() {
        let errors = ConfigErrors::new(
            PathBuf::from("/etc/cf.yaml"),
            vec![
                error(
                    7,
                    3,
                    "pool.autonomous.max",
                    Problem::Invalid("must be at least 1".into()),
                ),
                error(
                    2,
                    1,
                    "pool.autonomus",
                    Problem::UnknownKey {
                        name: "autonomus".into(),
                        suggestion: Some("autonomous".into()),
                    },
                ),
            ],
        );
        assert_eq!(
            errors.to_string(),
            "/etc/cf.yaml:2:1: pool.autonomus: unknown key `autonomus` (did you mean `autonomous`?); \
             remove it or fix its spelling\n\
             /etc/cf.yaml:7:3: pool.autonomous.max: must be at least 1"
        );
    }

    #[test]
    fn whole_file_errors_have_no_position() {
        let errors = ConfigErrors::whole_file(
            PathBuf::from("/nope.yaml"),
            Problem::Unreadable {
                detail: "no such file".into(),
            },
        );
        assert_eq!(
            errors.to_string(),
            "/nope.yaml: cannot read the config file (no such file); check that it exists and is readable"
        );
    }
}
