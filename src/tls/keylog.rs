//! `keylog_file`: the handshake secrets in the NSS key log format (SSLKEYLOGFILE), so that
//! Wireshark can decrypt a capture. Each line is written with one `write` on a file opened for
//! appending, during the handshake step that derived the secret: before the `handshake`/`open`
//! handler of that handshake runs.

use crate::error::NetError;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One open key log file, shared by every connection of one TLS config.
pub struct KeyLogFile {
    file: Mutex<File>,
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

/// Opens (creating it, mode 0600: the file holds secrets) `path` for appending; an error fails
/// listen / connect with the errno and syscall "open".
pub fn open(path: &Path) -> Result<Arc<KeyLogFile>, NetError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| NetError::io(&e, c"open", &format!("keylog_file {}", path.display())))?;
    Ok(Arc::new(KeyLogFile { file: Mutex::new(file) }))
}

fn hex(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write as _;
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line = String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        hex(&mut line, client_random);
        line.push(' ');
        hex(&mut line, secret);
        line.push('\n');
        // One write per line (O_APPEND): lines of several loops or processes never interleave.
        // A failed write cannot fail the handshake from here; the log is a debugging aid.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _ = file.write_all(line.as_bytes());
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}
