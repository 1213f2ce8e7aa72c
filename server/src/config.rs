//! Command-line and environment configuration of the `phoenix-server` binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::endpoint::{EndpointConfig, OriginCheck};

/// Usage text for `--help`.
pub const USAGE: &str = "\
phoenix-server: reference Phoenix Channels server with the demo chat

USAGE: phoenix-server [OPTIONS]

  --addr ADDR             listen address (default 127.0.0.1:4000; 127.0.0.1:0 picks a port)  [PHX_ADDR]
  --static-dir DIR        static files (default <repo>/www; missing dir = 404s)             [PHX_STATIC_DIR]
  --idle-timeout-ms MS    close sockets silent for this long (default 60000)                [PHX_IDLE_TIMEOUT_MS]
  --max-frame-size BYTES  largest client message (default 1048576), bigger closes with 1009 [PHX_MAX_FRAME_SIZE]
  --outbound-queue N      frames queued per socket before it is dropped as slow (default 1024)
  --check-origin POLICY   on (default: same host or loopback) | off | comma-separated origins
  --longpoll-window-ms MS LongPoll poll wait and session timeout (default 10000)          [PHX_LONGPOLL_WINDOW_MS]
  --no-websocket          refuse every WebSocket upgrade (503), to test LongPoll fallback  [PHX_NO_WEBSOCKET=1]
  --test-hooks            enable loopback-only test routes (POST /api/test/heartbeats)       [PHX_TEST_HOOKS=1]
  -h, --help              this text

Logging: RUST_LOG (e.g. RUST_LOG=phoenix_server=debug). On startup the one line
`listening on http://ADDR` is printed to stdout.
";

/// Invalid arguments.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `--help` was given.
    #[error("help requested")]
    Help,
    /// A flag needs a value.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// Bad value.
    #[error("invalid value for {flag}: {value}")]
    Invalid {
        /// The flag.
        flag: String,
        /// The value.
        value: String,
    },
    /// Unknown flag.
    #[error("unknown argument {0}")]
    Unknown(String),
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
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../www")),
            test_hooks: false,
            endpoint: EndpointConfig::default(),
        }
    }
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ConfigError> {
    value.parse().map_err(|_| ConfigError::Invalid {
        flag: flag.to_string(),
        value: value.to_string(),
    })
}

const VALUE_FLAGS: [&str; 7] = [
    "--addr",
    "--static-dir",
    "--idle-timeout-ms",
    "--max-frame-size",
    "--outbound-queue",
    "--check-origin",
    "--longpoll-window-ms",
];

fn apply(cfg: &mut Config, flag: &str, value: &str) -> Result<(), ConfigError> {
    match flag {
        "--addr" => cfg.addr = parse(flag, value)?,
        "--static-dir" => cfg.static_dir = PathBuf::from(value),
        "--idle-timeout-ms" => {
            cfg.endpoint.idle_timeout = Duration::from_millis(parse(flag, value)?)
        }
        "--max-frame-size" => cfg.endpoint.max_frame_size = parse(flag, value)?,
        "--longpoll-window-ms" => {
            cfg.endpoint.longpoll_window = Duration::from_millis(parse::<u64>(flag, value)?.max(1))
        }
        "--outbound-queue" => cfg.endpoint.outbound_queue = parse::<usize>(flag, value)?.max(1),
        "--check-origin" => {
            cfg.endpoint.check_origin = match value {
                "on" | "true" => OriginCheck::SameHost,
                "off" | "false" => OriginCheck::Off,
                list => OriginCheck::Allow(list.split(',').map(|s| s.trim().to_string()).collect()),
            }
        }
        other => return Err(ConfigError::Unknown(other.to_string())),
    }
    Ok(())
}

impl Config {
    /// Reads env (`PHX_*`) first, then arguments (which win).
    pub fn from_args<I, E>(args: I, env: E) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = String>,
        E: Fn(&str) -> Option<String>,
    {
        let mut cfg = Config::default();
        for (var, flag) in [
            ("PHX_ADDR", "--addr"),
            ("PHX_STATIC_DIR", "--static-dir"),
            ("PHX_IDLE_TIMEOUT_MS", "--idle-timeout-ms"),
            ("PHX_MAX_FRAME_SIZE", "--max-frame-size"),
            ("PHX_LONGPOLL_WINDOW_MS", "--longpoll-window-ms"),
        ] {
            if let Some(v) = env(var) {
                apply(&mut cfg, flag, &v)?;
            }
        }
        if env("PHX_TEST_HOOKS").is_some_and(|v| v == "1" || v == "true") {
            cfg.test_hooks = true;
        }
        if env("PHX_NO_WEBSOCKET").is_some_and(|v| v == "1" || v == "true") {
            cfg.endpoint.refuse_websocket = true;
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Err(ConfigError::Help),
                "--test-hooks" => cfg.test_hooks = true,
                "--no-websocket" => cfg.endpoint.refuse_websocket = true,
                _ => {
                    let (flag, value) = match arg.split_once('=') {
                        Some((f, v)) => (f.to_string(), v.to_string()),
                        None => {
                            if !VALUE_FLAGS.contains(&arg.as_str()) {
                                return Err(ConfigError::Unknown(arg));
                            }
                            let v = args
                                .next()
                                .ok_or_else(|| ConfigError::MissingValue(arg.clone()))?;
                            (arg, v)
                        }
                    };
                    apply(&mut cfg, &flag, &value)?;
                }
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_and_env() {
        let cfg = Config::from_args(
            [
                "--addr",
                "127.0.0.1:0",
                "--test-hooks",
                "--idle-timeout-ms=250",
                "--longpoll-window-ms",
                "300",
                "--no-websocket",
            ]
            .map(String::from),
            |k| (k == "PHX_STATIC_DIR").then(|| "/tmp/x".to_string()),
        )
        .unwrap();
        assert_eq!(cfg.addr.port(), 0);
        assert!(cfg.test_hooks);
        assert_eq!(cfg.endpoint.idle_timeout, Duration::from_millis(250));
        assert_eq!(cfg.endpoint.longpoll_window, Duration::from_millis(300));
        assert!(cfg.endpoint.refuse_websocket);
        assert_eq!(
            Config::from_args(Vec::<String>::new(), |_| None)
                .unwrap()
                .endpoint
                .longpoll_window,
            Duration::from_secs(10)
        );
        assert_eq!(cfg.static_dir, PathBuf::from("/tmp/x"));
        assert_eq!(
            Config::from_args(["--bogus".to_string()], |_| None).unwrap_err(),
            ConfigError::Unknown("--bogus".into())
        );
        assert_eq!(
            Config::from_args(["--addr".to_string()], |_| None).unwrap_err(),
            ConfigError::MissingValue("--addr".into())
        );
    }
}
