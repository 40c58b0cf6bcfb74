//! Reading and rewriting the client's JSON files (`settings.json`, `.claude.json`) safely: parse errors with line and column, a dated
//! backup before any change, and an atomic replace (temp file, fsync, rename) that keeps the
//! file's permissions and owner.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::AccountsError;
use crate::json::Origin;

/// Mode of a settings file we create: it may later hold an `env` block with secrets.
const NEW_FILE_MODE: u32 = 0o600;
/// Mode of a config directory we create (it holds credentials once logged in).
const NEW_DIR_MODE: u32 = 0o700;

/// A settings file as found on disk.
pub(crate) struct Loaded {
    /// The parsed top-level object (empty when the file is missing or blank).
    pub settings: Map<String, Value>,
    /// The bytes read, or `None` when the file does not exist.
    pub original: Option<Vec<u8>>,
}

/// Reads and parses `origin.path`. A missing or blank file is an empty object. `origin.retry`
/// says what to run once a broken file is fixed (it ends the error message).
pub(crate) fn load(origin: Origin<'_>) -> Result<Loaded, AccountsError> {
    let Origin { path, retry } = origin;
    let original = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(Loaded {
                settings: Map::new(),
                original: None,
            });
        }
        Err(source) => {
            return Err(AccountsError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if original.iter().all(u8::is_ascii_whitespace) {
        return Ok(Loaded {
            settings: Map::new(),
            original: Some(original),
        });
    }
    let value: Value =
        serde_json::from_slice(&original).map_err(|error| AccountsError::InvalidJson {
            path: path.to_path_buf(),
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
            retry,
        })?;
    let Value::Object(settings) = value else {
        return Err(origin.wrong_type("the top level".to_string(), &value, "an object"));
    };
    Ok(Loaded {
        settings,
        original: Some(original),
    })
}

/// Writes `loaded.settings` to `path` atomically: after a dated backup of the file read, or
/// into a newly created (private) directory when there was no file. Returns the backup's path,
/// `None` when the file was created.
pub(crate) fn save(
    path: &Path,
    loaded: &Loaded,
    now: Timestamp,
) -> Result<Option<PathBuf>, AccountsError> {
    let bytes = render(&loaded.settings, path)?;
    let backup = match &loaded.original {
        None => {
            if let Some(dir) = path.parent() {
                ensure_dir(dir)?;
            }
            None
        }
        Some(original) => Some(backup(path, original, now)?),
    };
    write_atomically(path, &bytes)?;
    Ok(backup)
}

/// The bytes we write for `settings`: pretty JSON (two-space indent, like the client) and a newline.
fn render(settings: &Map<String, Value>, path: &Path) -> Result<Vec<u8>, AccountsError> {
    let mut bytes = serde_json::to_vec_pretty(settings).map_err(|error| AccountsError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(error),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Copies `original` (the current content of `path`) to `path.bak-<YYYYmmddTHHMMSSZ>` with the
/// same permissions. An existing backup of that second is never overwritten: `-2`, `-3` … follow.
fn backup(path: &Path, original: &[u8], now: Timestamp) -> Result<PathBuf, AccountsError> {
    let mode = fs::metadata(path)
        .map(|meta| meta.permissions().mode() & 0o7777)
        .unwrap_or(NEW_FILE_MODE);
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = format!("{}.bak-{stamp}", file_name(path));
    for attempt in 1..=100u32 {
        let name = match attempt {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        };
        let backup_path = path.with_file_name(name);
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&backup_path);
        let mut file = match created {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(backup_error(&backup_path, source)),
        };
        file.write_all(original)
            .and_then(|()| file.sync_all())
            .map_err(|source| backup_error(&backup_path, source))?;
        return Ok(backup_path);
    }
    Err(backup_error(
        &path.with_file_name(format!("{base}-*")),
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            "100 backups of the same second exist",
        ),
    ))
}

/// Replaces `path` with `bytes` atomically, keeping the old file's mode and owner (or
/// [`NEW_FILE_MODE`] for a new file), and makes the rename durable.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AccountsError> {
    let write_error = |source| AccountsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let existing = fs::metadata(path).ok();
    let mode = existing
        .as_ref()
        .map_or(NEW_FILE_MODE, |meta| meta.permissions().mode() & 0o7777);
    let temp_path = path.with_file_name(format!(
        ".{}.claude-failover-{}.tmp",
        file_name(path),
        std::process::id()
    ));
    let result = (|| {
        let mut temp = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&temp_path)?;
        // The mode given to open() is filtered by the umask; set it exactly.
        temp.set_permissions(fs::Permissions::from_mode(mode))?;
        if let Some(meta) = &existing {
            let temp_meta = temp.metadata()?;
            if (temp_meta.uid(), temp_meta.gid()) != (meta.uid(), meta.gid()) {
                std::os::unix::fs::fchown(&temp, Some(meta.uid()), Some(meta.gid()))?;
            }
        }
        temp.write_all(bytes)?;
        temp.sync_all()?;
        fs::rename(&temp_path, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        // Best effort: a failed temp file must not linger next to the settings.
        let _ = fs::remove_file(&temp_path);
    }
    result.map_err(write_error)
}

/// Creates a directory (and parents) if missing, private to its owner: a config dir holds
/// credentials, a shared target holds transcripts.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), AccountsError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(NEW_DIR_MODE)
        .create(dir)
        .map_err(|source| AccountsError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Follows a symlinked settings file to the real file, so the link itself survives the rename.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || "settings.json".to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn backup_error(path: &Path, source: io::Error) -> AccountsError {
    AccountsError::Backup {
        path: path.to_path_buf(),
        source,
    }
}
