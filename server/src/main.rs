//! `phoenix-server`: the reference server with the demo chat. See `--help`.

use std::io::Write;
use std::net::SocketAddr;

use phoenix_server::config::{Config, ConfigError, USAGE};
use phoenix_server::demo::{self, DemoOptions, DemoState};
use phoenix_server::Endpoint;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cfg = match Config::from_args(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(cfg) => cfg,
        Err(ConfigError::Help) => {
            print!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("phoenix-server: {e}\n\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    // Logs go to stderr: stdout carries only the `listening on` line.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    if cfg!(panic = "abort") {
        // The client's release profile aborts on panic; the server's own profile
        // (`--profile server`) unwinds, so a panicking channel only errors that channel.
        tracing::warn!("built with panic=abort (use --profile server): channel panics cannot be isolated in this build");
    }
    let endpoint = Endpoint::new(cfg.endpoint.clone());
    let state = DemoState::new(
        endpoint.clone(),
        DemoOptions {
            static_dir: cfg.static_dir.clone(),
            test_hooks: cfg.test_hooks,
        },
    );
    let app = demo::app(state);
    let listener = match tokio::net::TcpListener::bind(cfg.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("phoenix-server: cannot listen on {}: {e}", cfg.addr);
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(cfg.addr);
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{local}");
        let _ = out.flush();
    }
    tracing::info!(addr = %local, static_dir = %cfg.static_dir.display(), test_hooks = cfg.test_hooks, "started");

    let ep = endpoint.clone();
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        // Close every socket with 1001 so upgraded connections do not hold shutdown.
        ep.shutdown();
    });
    // Upgraded sockets are not tracked by graceful shutdown; bound the wait anyway.
    let result = served.await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while endpoint.connection_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phoenix-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
