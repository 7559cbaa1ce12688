//! The local API: a WebSocket server that second screens (`attach`) and
//! `ctl` use to see the same board and send the engine's own commands.
//!
//! # Layout
//!
//! - `message`: the JSON frames both ways (documented in docs/local-api.md).
//! - `access`: who may send what: screen roles, signed-in staff, approvals.
//! - `server`: the listener, the bearer token, one task pair per client with
//!   a bounded queue (a slow client is dropped, never the engine slowed).
//! - `client`: dialling the API, and `Remote`, the console source of an
//!   attached screen (a mirror of the board fed by the socket).
//! - `serve`: `passline serve` (no screen, for systemd), the API half of
//!   `passline run`, and `passline attach`.
//! - `ctl`: `passline ctl`, one command through the API, with exit codes.

pub mod access;
pub mod client;
pub mod ctl;
pub mod message;
pub mod server;

use crate::config::ApiSection;
use std::net::SocketAddr;

pub use message::ScreenRole;
pub use server::{ApiServer, ApiStatus};

/// How many frames may wait for one client before it is dropped as too slow.
pub const CLIENT_QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("[api] listen = \"{0}\" is not an address: write one like \"127.0.0.1:7878\"")]
    BadListen(String),
    #[error("[api] listen = \"{0}\" can be reached from the network, so it needs a token: set [api] token or token_file, or listen on 127.0.0.1")]
    TokenNeeded(String),
    #[error("cannot read [api] token_file {path}: {detail}: check the path and its permissions")]
    TokenFile { path: String, detail: String },
    #[error(
        "cannot listen on {addr}: {detail} (is another passline running? change [api] listen)"
    )]
    Bind { addr: String, detail: String },
    #[error("cannot reach the console at {url}: {detail}: check that `passline run` or `passline serve` is running there")]
    Unreachable { url: String, detail: String },
    #[error("the console at {url} refused the token (HTTP 401): use the token from its [api] token or token_file")]
    Unauthorized { url: String },
    #[error("the console at {url} sent something unreadable: {detail}")]
    Protocol { url: String, detail: String },
}

/// The API's settings, checked: where to listen and the token clients must send.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub listen: SocketAddr,
    pub token: Option<String>,
    /// Frames waiting per client before it is dropped.
    pub queue: usize,
}

impl ApiOptions {
    /// Reads `[api]`. A listen address off the loopback without a token is
    /// refused: anyone on the shop's Wi-Fi could otherwise take money.
    pub fn from_config(api: &ApiSection) -> Result<ApiOptions, ApiError> {
        let listen: SocketAddr = api
            .listen
            .trim()
            .parse()
            .map_err(|_| ApiError::BadListen(api.listen.clone()))?;
        let token = read_token(api.token.as_deref(), api.token_file.as_deref())?;
        let opts = ApiOptions {
            listen,
            token,
            queue: CLIENT_QUEUE,
        };
        opts.check()?;
        Ok(opts)
    }

    /// Refuses a non-loopback address without a token.
    pub fn check(&self) -> Result<(), ApiError> {
        if !self.listen.ip().is_loopback() && self.token.is_none() {
            return Err(ApiError::TokenNeeded(self.listen.to_string()));
        }
        Ok(())
    }
}

/// The token from the config text or its file (trimmed; empty means none).
pub fn read_token(
    token: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Option<String>, ApiError> {
    if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok(Some(t.to_string()));
    }
    match file {
        Some(p) => {
            crate::secret::check_private_file(p).map_err(|detail| ApiError::TokenFile {
                path: p.display().to_string(),
                detail,
            })?;
            let text = std::fs::read_to_string(p).map_err(|e| ApiError::TokenFile {
                path: p.display().to_string(),
                detail: e.to_string(),
            })?;
            let t = text.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        None => Ok(None),
    }
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The API token for `attach` and `ctl`: `$PASSLINE_TOKEN`, else
/// `--token-file`, else the config's `[api] token` / `token_file`.
pub fn api_token(
    token_file: Option<&std::path::Path>,
    config_token: Option<&str>,
    config_file: Option<&std::path::Path>,
) -> Result<Option<String>, ApiError> {
    if let Ok(t) = std::env::var("PASSLINE_TOKEN") {
        if !t.trim().is_empty() {
            return Ok(Some(t.trim().to_string()));
        }
    }
    if let Some(f) = token_file {
        return read_token(None, Some(f));
    }
    read_token(config_token, config_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(listen: &str, token: Option<&str>) -> ApiSection {
        ApiSection {
            listen: listen.into(),
            token: token.map(str::to_string),
            ..ApiSection::default()
        }
    }

    #[test]
    fn loopback_needs_no_token() {
        let o = ApiOptions::from_config(&section("127.0.0.1:7878", None)).expect("loopback");
        assert!(o.token.is_none());
    }

    #[test]
    fn the_shop_network_needs_a_token() {
        let e = ApiOptions::from_config(&section("0.0.0.0:7878", None)).expect_err("refused");
        assert!(e.to_string().contains("needs a token"), "{e}");
        ApiOptions::from_config(&section("0.0.0.0:7878", Some("s3cret"))).expect("with a token");
    }

    #[test]
    fn a_blank_token_is_no_token() {
        let e =
            ApiOptions::from_config(&section("192.168.1.5:7878", Some("  "))).expect_err("blank");
        assert!(matches!(e, ApiError::TokenNeeded(_)));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
