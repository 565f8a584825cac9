//! Messages for the person at the keyboard: to the terminal when there is one, else to stderr —
//! never into the signature (stdout) or the status stream git reads.

use std::io::Write;

/// Where messages go.
pub struct Ui {
    out: Box<dyn Write>,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ui")
    }
}

impl Ui {
    /// The controlling terminal, else stderr.
    pub fn terminal() -> Ui {
        match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            Ok(tty) => Ui { out: Box::new(tty) },
            Err(_) => Ui { out: Box::new(std::io::stderr()) },
        }
    }

    /// Any writer (tests).
    pub fn to(out: Box<dyn Write>) -> Ui {
        Ui { out }
    }

    /// Asks the person at the terminal for one line; `None` without a terminal.
    pub fn ask(&mut self, prompt: &str) -> Option<String> {
        use std::io::BufRead as _;
        let tty = std::fs::File::open("/dev/tty").ok()?;
        let _ = write!(self.out, "{prompt}");
        let _ = self.out.flush();
        let mut line = String::new();
        std::io::BufReader::new(tty).read_line(&mut line).ok()?;
        Some(line.trim().to_string())
    }

    /// Whether a terminal is there to answer [`Ui::ask`].
    pub fn has_terminal() -> bool {
        std::fs::File::open("/dev/tty").is_ok()
    }

    /// Writes one message (a line is added).
    pub fn say(&mut self, message: &str) {
        let _ = writeln!(self.out, "{message}");
        let _ = self.out.flush();
    }
}

/// Lines written to a [`Ui`] reach the person as [`Ui::say`]'s do (the configuration's warnings
/// go through here when signing: git shows the signer's stderr only when signing fails).
impl Write for Ui {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

pub use gitsign_core::text::sanitize;
