//! Command-line and environment configuration of the `phoenix-server` binary (`clap`; run it
//! with `--help` for the generated usage). A flag wins over its environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::endpoint::{EndpointConfig, OriginCheck, SecretKeyBase};

/// The flags, as `clap` parses them.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "phoenix-server",
    version,
    // A repeated flag: the last one wins (scripts append overrides).
    args_override_self = true,
    about = "Reference Phoenix Channels server with the demo chat",
    after_help = "Logging: RUST_LOG (e.g. RUST_LOG=phoenix_server=debug). On startup the one line \
                  `listening on http://ADDR` is printed to stdout; SIGTERM / Ctrl-C close every \
                  socket with 1001 and exit 0."
)]
struct Cli {
    /// Listen address (127.0.0.1:0 picks a port).
    #[arg(
        long,
        env = "PHX_ADDR",
        value_name = "ADDR",
        default_value = "127.0.0.1:4000"
    )]
    addr: SocketAddr,
    /// Static files (default: <repo>/www; a missing directory gives 404s).
    #[arg(long, env = "PHX_STATIC_DIR", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Close sockets silent for this long.
    #[arg(
        long,
        env = "PHX_IDLE_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 60_000
    )]
    idle_timeout_ms: u64,
    /// Largest client message; a bigger one closes the socket with 1009.
    #[arg(long, env = "PHX_MAX_FRAME_SIZE", value_name = "BYTES", default_value_t = 1024 * 1024)]
    max_frame_size: usize,
    /// Frames queued per socket before it is closed as a slow consumer (1013).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    outbound_queue: usize,
    /// Origin check: `on` (the Origin's host must be the request's Host), `conn` (scheme, host
    /// and port must match), `off`, or comma-separated origins (`https://a.example`,
    /// `//b.example`, `//*.c.example`).
    #[arg(long, value_name = "POLICY", default_value = "on")]
    check_origin: String,
    /// LongPoll poll wait and session timeout.
    #[arg(
        long,
        env = "PHX_LONGPOLL_WINDOW_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    longpoll_window_ms: u64,
    /// Refuse every WebSocket upgrade (503), to test the LongPoll fallback.
    #[arg(long, env = "PHX_NO_WEBSOCKET")]
    no_websocket: bool,
    /// Enable loopback-only test routes (POST /api/test/heartbeats) and `test_crash`.
    #[arg(long, env = "PHX_TEST_HOOKS")]
    test_hooks: bool,
    /// Secret the signed tokens are derived from (at least 64 bytes, like Phoenix's
    /// `secret_key_base`): with the same value, tokens stay valid across restarts. Default: a
    /// random one per run.
    #[arg(
        long,
        env = "PHX_SECRET_KEY_BASE",
        value_name = "SECRET",
        hide_env_values = true
    )]
    secret_key_base: Option<String>,
    /// Most open WebSocket connections (more are closed with 1013).
    #[arg(
        long,
        env = "PHX_MAX_SOCKETS",
        value_name = "N",
        default_value_t = 100_000
    )]
    max_sockets: usize,
    /// Most live LongPoll sessions (more get HTTP 503).
    #[arg(
        long,
        env = "PHX_MAX_LONGPOLL_SESSIONS",
        value_name = "N",
        default_value_t = 10_000
    )]
    max_longpoll_sessions: usize,
    /// Most sockets plus LongPoll sessions from one peer IP address.
    #[arg(
        long,
        env = "PHX_MAX_PER_PEER",
        value_name = "N",
        default_value_t = 16_384
    )]
    max_per_peer: usize,
}

/// Everything the binary needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub addr: SocketAddr,
    /// Static files directory.
    pub static_dir: PathBuf,
    /// Enable test-only routes.
    pub test_hooks: bool,
    /// Socket tunables.
    pub endpoint: EndpointConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 4000)),
            static_dir: default_static_dir(),
            test_hooks: false,
            endpoint: EndpointConfig::default(),
        }
    }
}

fn default_static_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../www"))
}

/// A parse failure (or `--help` / `--version`); [`clap::Error::exit`] prints it and exits
/// with the right code (0 for help, 2 for bad usage).
pub type ConfigError = clap::Error;

fn origin_check(policy: &str) -> OriginCheck {
    match policy {
        "on" | "true" => OriginCheck::SameHost,
        "conn" => OriginCheck::Conn,
        "off" | "false" => OriginCheck::Off,
        list => OriginCheck::Allow(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    }
}

impl Config {
    /// Parses the arguments (without the program name) and the `PHX_*` environment.
    pub fn from_args<I>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = String>,
    {
        let cli = Cli::try_parse_from(std::iter::once("phoenix-server".to_string()).chain(args))?;
        let secret_key_base = match cli.secret_key_base {
            Some(s) => Some(SecretKeyBase::new(s.into_bytes()).map_err(|e| {
                clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("invalid value for --secret-key-base: {e}\n"),
                )
            })?),
            None => None,
        };
        Ok(Config {
            addr: cli.addr,
            static_dir: cli.static_dir.unwrap_or_else(default_static_dir),
            test_hooks: cli.test_hooks,
            endpoint: EndpointConfig {
                idle_timeout: Duration::from_millis(cli.idle_timeout_ms),
                max_frame_size: cli.max_frame_size,
                outbound_queue: cli.outbound_queue.max(1),
                check_origin: origin_check(&cli.check_origin),
                longpoll_window: Duration::from_millis(cli.longpoll_window_ms.max(1)),
                refuse_websocket: cli.no_websocket,
                max_sockets: cli.max_sockets,
                max_longpoll_sessions: cli.max_longpoll_sessions,
                max_per_peer: cli.max_per_peer,
                secret_key_base,
                ..EndpointConfig::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Config, ConfigError> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn args() {
        let cfg = parse(&[
            "--addr",
            "127.0.0.1:0",
            "--test-hooks",
            "--idle-timeout-ms=250",
            "--longpoll-window-ms",
            "300",
            "--no-websocket",
            "--static-dir",
            "/tmp/x",
            "--check-origin",
            "https://a.example, //b.example",
            "--max-per-peer",
            "3",
        ])
        .unwrap();
        assert_eq!(cfg.addr.port(), 0);
        assert!(cfg.test_hooks);
        assert_eq!(cfg.endpoint.idle_timeout, Duration::from_millis(250));
        assert_eq!(cfg.endpoint.longpoll_window, Duration::from_millis(300));
        assert!(cfg.endpoint.refuse_websocket);
        assert_eq!(cfg.static_dir, PathBuf::from("/tmp/x"));
        assert_eq!(cfg.endpoint.max_per_peer, 3);
        assert_eq!(
            cfg.endpoint.check_origin,
            OriginCheck::Allow(vec!["https://a.example".into(), "//b.example".into()])
        );
        // A repeated flag: the last one wins.
        let again = parse(&["--static-dir", "/a", "--static-dir", "/b"]).unwrap();
        assert_eq!(again.static_dir, PathBuf::from("/b"));
        assert_eq!(origin_check("conn"), OriginCheck::Conn);
        assert_eq!(origin_check("off"), OriginCheck::Off);
        assert_eq!(origin_check("on"), OriginCheck::SameHost);
    }

    #[test]
    fn errors_and_help() {
        use clap::error::ErrorKind;
        assert_eq!(
            parse(&["--bogus"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        assert!(parse(&["--addr"]).is_err());
        assert!(parse(&["--addr", "nope"]).is_err());
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
        assert!(parse(&["--secret-key-base", "short"]).is_err());
        let long = "k".repeat(64);
        assert!(parse(&["--secret-key-base", &long])
            .unwrap()
            .endpoint
            .secret_key_base
            .is_some());
    }
}
