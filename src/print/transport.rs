//! How bytes reach a printer: TCP port 9100 (one connection at a time), a
//! device file (`/dev/usb/lp0`) or a serial port (set raw at its baud rate
//! through termios). Every step runs under a timeout; status is asked with
//! `DLE EOT` over TCP only.

use super::status::parse_dle_eot;
use crate::domain::status::PrinterState;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where a printer is, from its `connect` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `tcp://host:port`
    Tcp(String),
    /// `file:/dev/usb/lp0`
    File(PathBuf),
    /// `serial:/dev/ttyUSB0?baud=9600`
    Serial { path: PathBuf, baud: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("connect `{0}` is not understood: write tcp://HOST:9100, file:/dev/usb/lp0 or serial:/dev/ttyUSB0?baud=9600")]
    BadEndpoint(String),
    #[error(
        "cannot reach the printer at {what} ({detail}): check that it is on and its cable is in"
    )]
    Connect { what: String, detail: String },
    #[error("the printer stopped taking data ({0}): check it, the ticket will be sent again marked as a reprint")]
    Write(String),
    #[error("the printer did not answer a status request ({0})")]
    Status(String),
}

impl Endpoint {
    pub fn parse(s: &str) -> Result<Endpoint, TransportError> {
        let bad = || TransportError::BadEndpoint(s.to_string());
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            if rest.is_empty() {
                return Err(bad());
            }
            let addr = if rest
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            {
                rest.to_string()
            } else {
                format!("{rest}:9100")
            };
            return Ok(Endpoint::Tcp(addr));
        }
        if let Some(rest) = s.strip_prefix("file:") {
            if rest.is_empty() {
                return Err(bad());
            }
            return Ok(Endpoint::File(PathBuf::from(rest)));
        }
        if let Some(rest) = s.strip_prefix("serial:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(bad());
            }
            let mut baud = 9600;
            for kv in query.split('&').filter(|q| !q.is_empty()) {
                match kv.split_once('=') {
                    Some(("baud", v)) => baud = v.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                }
            }
            return Ok(Endpoint::Serial {
                path: PathBuf::from(path),
                baud,
            });
        }
        Err(bad())
    }

    pub fn describe(&self) -> String {
        match self {
            Endpoint::Tcp(a) => format!("tcp://{a}"),
            Endpoint::File(p) => format!("file:{}", p.display()),
            Endpoint::Serial { path, baud } => format!("serial:{}?baud={baud}", path.display()),
        }
    }
}

/// Timeouts for one printer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// For a whole job's bytes.
    pub write: Duration,
    /// For one status answer.
    pub status: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(1500),
            write: Duration::from_secs(10),
            status: Duration::from_millis(1000),
        }
    }
}

/// An open connection to a printer.
pub enum Connection {
    Tcp(TcpStream),
    File(tokio::fs::File),
}

impl Connection {
    pub async fn open(ep: &Endpoint, t: &Timeouts) -> Result<Connection, TransportError> {
        let fail = |detail: String| TransportError::Connect {
            what: ep.describe(),
            detail,
        };
        match ep {
            Endpoint::Tcp(addr) => {
                let s = tokio::time::timeout(t.connect, TcpStream::connect(addr.as_str()))
                    .await
                    .map_err(|_| fail(format!("no answer within {} ms", t.connect.as_millis())))?
                    .map_err(|e| fail(e.to_string()))?;
                let _ = s.set_nodelay(true);
                Ok(Connection::Tcp(s))
            }
            Endpoint::Serial { path, baud } => {
                let path = path.clone();
                let baud = *baud;
                let f = tokio::time::timeout(
                    t.connect,
                    tokio::task::spawn_blocking(move || open_serial(&path, baud)),
                )
                .await
                .map_err(|_| fail("the port did not open in time".into()))?
                .map_err(|e| fail(e.to_string()))?
                .map_err(|e| fail(e.to_string()))?;
                Ok(Connection::File(tokio::fs::File::from_std(f)))
            }
            Endpoint::File(path) => {
                let f = tokio::time::timeout(
                    t.connect,
                    tokio::fs::OpenOptions::new().write(true).open(path),
                )
                .await
                .map_err(|_| fail("the device did not open in time".into()))?
                .map_err(|e| fail(e.to_string()))?;
                Ok(Connection::File(f))
            }
        }
    }

    /// Whether this connection can answer `DLE EOT` (TCP only: a device file
    /// read can block forever on some USB printers).
    pub fn can_ask_status(&self) -> bool {
        matches!(self, Connection::Tcp(_))
    }

    pub async fn write_all(&mut self, bytes: &[u8], t: &Timeouts) -> Result<(), TransportError> {
        let res = match self {
            Connection::Tcp(s) => {
                tokio::time::timeout(t.write, async {
                    s.write_all(bytes).await?;
                    s.flush().await
                })
                .await
            }
            Connection::File(f) => {
                tokio::time::timeout(t.write, async {
                    f.write_all(bytes).await?;
                    f.flush().await
                })
                .await
            }
        };
        match res {
            Err(_) => Err(TransportError::Write(format!(
                "no progress within {} s",
                t.write.as_secs()
            ))),
            Ok(Err(e)) => Err(TransportError::Write(e.to_string())),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Asks `DLE EOT 1`, `2` and `4` and reads the printer's state. An answer
    /// also confirms that every byte sent before it has arrived.
    pub async fn status(&mut self, t: &Timeouts) -> Result<PrinterState, TransportError> {
        let Connection::Tcp(s) = self else {
            return Ok(PrinterState::Online);
        };
        // Drop stale bytes (automatic status back, late answers).
        let mut junk = [0u8; 64];
        while let Ok(n) = s.try_read(&mut junk) {
            if n == 0 {
                return Err(TransportError::Status(
                    "the printer closed the connection".into(),
                ));
            }
        }
        let mut answers = [0u8; 3];
        for (i, n) in [1u8, 2, 4].into_iter().enumerate() {
            let ask = async {
                s.write_all(&[0x10, 0x04, n]).await?;
                let mut b = [0u8; 1];
                let got = s.read(&mut b).await?;
                if got == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the printer closed the connection",
                    ));
                }
                Ok(b[0])
            };
            answers[i] = tokio::time::timeout(t.status, ask)
                .await
                .map_err(|_| {
                    TransportError::Status(format!("no answer within {} ms", t.status.as_millis()))
                })?
                .map_err(|e| TransportError::Status(e.to_string()))?;
        }
        Ok(parse_dle_eot(
            answers[0],
            Some(answers[1]),
            Some(answers[2]),
        ))
    }
}

/// The termios speed constant for a baud rate.
fn speed(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        1200 => libc::B1200,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        _ => return None,
    })
}

/// Opens a serial port raw (8N1, no echo, no flow control) at `baud`.
fn open_serial(path: &std::path::Path, baud: u32) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let Some(speed) = speed(baud) else {
        return Err(std::io::Error::other(format!(
            "baud {baud} is not supported: use 9600, 19200, 38400, 57600 or 115200"
        )));
    };
    let fd = f.as_raw_fd();
    // SAFETY: `fd` is open for the life of `f`; `tio` is a plain C struct
    // that tcgetattr fills before it is read.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut tio) != 0 {
            // Not a terminal (a plain file or a pipe): write to it as it is.
            return Ok(f);
        }
        libc::cfmakeraw(&mut tio);
        tio.c_cflag |= libc::CLOCAL | libc::CREAD;
        tio.c_cflag &= !libc::CRTSCTS;
        if libc::cfsetispeed(&mut tio, speed) != 0
            || libc::cfsetospeed(&mut tio, speed) != 0
            || libc::tcsetattr(fd, libc::TCSANOW, &tio) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_settings_are_understood() {
        assert_eq!(
            Endpoint::parse("tcp://192.168.1.50").ok(),
            Some(Endpoint::Tcp("192.168.1.50:9100".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:9101").ok(),
            Some(Endpoint::Tcp("127.0.0.1:9101".into()))
        );
        assert_eq!(
            Endpoint::parse("serial:/dev/ttyUSB0?baud=19200").ok(),
            Some(Endpoint::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 19200
            })
        );
        assert_eq!(
            Endpoint::parse("file:/dev/usb/lp0").ok(),
            Some(Endpoint::File("/dev/usb/lp0".into()))
        );
        assert!(Endpoint::parse("usb:1").is_err());
        assert!(Endpoint::parse("serial:/dev/ttyS0?speed=9600").is_err());
    }

    #[tokio::test]
    async fn a_device_file_gets_the_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").expect("device stand-in");
        for ep in [
            Endpoint::File(path.clone()),
            Endpoint::Serial {
                path: path.clone(),
                baud: 9600,
            },
        ] {
            let mut c = Connection::open(&ep, &Timeouts::default())
                .await
                .expect("opens");
            assert!(!c.can_ask_status());
            c.write_all(&[0x1B, b'@'], &Timeouts::default())
                .await
                .expect("writes");
        }
        assert_eq!(std::fs::read(&path).expect("read back"), vec![0x1B, b'@']);
        let missing = Endpoint::File(dir.path().join("lp9"));
        let e = Connection::open(&missing, &Timeouts::default())
            .await
            .err()
            .expect("refused");
        assert!(e.to_string().contains("check that it is on"), "{e}");
    }
}
