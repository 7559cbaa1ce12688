//! `passline attach`: the console's screens on another terminal, fed
//! through a console's local API (`api::client::Remote`).

use crate::api::client::Remote;
use crate::api::ScreenRole;
use crate::engine::SystemClock;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The whole of `passline attach`: exit 3 when the console cannot be reached.
pub fn attach_console(
    flag: Option<&Path>,
    url: &str,
    role: ScreenRole,
    token_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let cfg = crate::cli::load_config(flag)?;
    let token = crate::api::api_token(
        token_file,
        cfg.api.token.as_deref(),
        cfg.api.token_file.as_deref(),
    )?;
    let _log = super::start_logs(&super::log_dir(&cfg), &cfg.log.level);
    let rt = super::runtime()?;
    let res = rt.block_on(async {
        let remote = match Remote::connect(url, token.as_deref(), role).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let tz = remote.tz();
        let ui = crate::tui::UiOptions::from_config(
            &cfg.ui,
            &remote.store().name,
            Arc::new(SystemClock { tz }),
        );
        let (feed, printers) = (remote.feed(), remote.printers());
        crate::tui::run_app(remote, feed, printers, ui, None, None)
            .await
            .context("the terminal failed: run passline in a real terminal (not a pipe)")
            .map(Ok)
    });
    drop(rt);
    match res? {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("passline attach: {e}");
            Ok(ExitCode::from(3))
        }
    }
}
