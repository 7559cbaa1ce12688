//! What crosses the network (docs/security.md, "Transport"), with the real
//! binary: a feed over plain ws:// to a host beyond the box is refused at
//! start (nothing is dialled), and `config check` refuses a listen beyond
//! loopback without a token, as serve would.

use crate::support as security_support;

use security_support::*;
use std::time::Duration;

fn append(cfg: &std::path::Path, text: &str) {
    let old = std::fs::read_to_string(cfg).expect("the config");
    std::fs::write(cfg, format!("{old}{text}")).expect("write the config");
}

#[test]
fn serve_refuses_a_plain_ws_feed_to_another_host() {
    let (_dir, cfg, listen) = prepare("");
    // 192.0.2.1 is TEST-NET-1: never dialled, the config is refused first.
    append(
        &cfg,
        "[feed]\nurl = \"ws://192.0.2.1/v1/stores/S001/feed\"\ntoken = \"t\"\n",
    );
    let out = passline(&cfg, &["serve"]).output().expect("serve runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in clear"), "{err}");
    assert!(err.contains("allow_plain_ws"), "{err}");
    assert!(
        std::net::TcpStream::connect_timeout(
            &listen.parse().expect("address"),
            Duration::from_millis(200)
        )
        .is_err(),
        "nothing started"
    );
}

#[test]
fn config_check_refuses_a_network_listen_without_a_token() {
    let (dir, _, _) = prepare("");
    let cfg = dir.path().join("open.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\ndata_dir = \"{}\"\n[api]\nlisten = \"0.0.0.0:7878\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write");
    let out = passline(&cfg, &["config", "check"])
        .output()
        .expect("config check runs");
    assert_eq!(out.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("needs a token"), "{text}");
}
