//! The files the development issuer keeps beside each other: its signing key and the
//! confidential client's secret, each written whole (mode 0600) and never overwritten.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rand_core::RngCore;

pub(super) fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The PEM of the key in `key_file`, generating it first if the file does not exist.
pub(super) fn read_or_generate_key(key_file: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(key_file) {
        // An empty file is what a crash between creating and writing the key left (older
        // versions wrote it in place): no key was ever in it, so make one.
        Ok(pem) if pem.is_empty() => {
            std::fs::remove_file(key_file)?;
            generate_key(key_file)
        }
        Ok(pem) => Ok(pem),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate_key(key_file),
        Err(e) => Err(e),
    }
}

/// The secret in `file` (surrounding whitespace trimmed), generating a random one first if the
/// file does not exist.
pub(super) fn read_or_generate_secret(file: &Path) -> std::io::Result<String> {
    let secret = match std::fs::read_to_string(file) {
        Ok(text) if !text.trim().is_empty() => text,
        Ok(_) => {
            std::fs::remove_file(file)?;
            write_new(file, &random_secret())?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new(file, &random_secret())?,
        Err(e) => return Err(e),
    };
    Ok(secret.trim().to_owned())
}

/// 32 random bytes, base64url without padding (43 characters).
pub(super) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Generates a P-256 key into `key_file` (created with mode 0600, never overwritten).
fn generate_key(key_file: &Path) -> std::io::Result<String> {
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let pem = secret.to_pkcs8_pem(LineEnding::LF).map_err(io_error)?;
    write_new(key_file, &pem)
}

/// Writes `content` to `file` unless it exists, and answers what the file then holds.
fn write_new(file: &Path, content: &str) -> std::io::Result<String> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Written whole to a file of its own, then linked into place: the file appears complete
    // or not at all (a crash midway leaves a stray temporary file, not a broken one), and a
    // process that linked first wins.
    let temporary = file.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(&temporary)?;
    handle.write_all(content.as_bytes())?;
    handle.sync_all()?;
    drop(handle);
    let linked = std::fs::hard_link(&temporary, file);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(content.to_owned()),
        // Another process generated it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(file),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("client.secret");
        let first = read_or_generate_secret(&file).unwrap();
        let again = read_or_generate_secret(&file).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.len(), 43, "{first}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
