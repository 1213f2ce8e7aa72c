//! `phoenix-server`: the reference server with the demo chat. See `--help`.

use std::io::Write;
use std::net::SocketAddr;

use phoenix_server::config::Config;
use phoenix_server::demo::{self, DemoOptions, DemoState};
use phoenix_server::Endpoint;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cfg = match Config::from_args(std::env::args().skip(1)) {
        Ok(cfg) => cfg,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::UnknownArgument {
                eprintln!("phoenix-server: unknown argument (see --help)");
            }
            // Help and version exit 0 on stdout; usage errors exit 2 on stderr.
            e.exit();
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
        // Every profile of this workspace unwinds; only a build with custom flags gets here.
        tracing::warn!("built with panic=abort: channel panics cannot be isolated in this build");
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

    // Shutdown, in order: the signal; stop accepting and close every socket with 1001 (LongPoll
    // sessions end, their waiting polls answer); wait for the HTTP requests in flight (axum), then
    // for every connection task to finish (upgraded sockets are not HTTP requests any more),
    // at most SHUTDOWN_GRACE in all.
    let ep = endpoint.clone();
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        ep.shutdown();
        let _ = signalled_tx.send(());
    });
    let result = tokio::select! {
        r = served => r,
        // Requests that outlive the grace (a stuck client) do not hold the exit.
        _ = async {
            let _ = signalled_rx.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("HTTP requests still open after the grace period");
            Ok(())
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, endpoint.drained())
        .await
        .is_err()
    {
        tracing::warn!(
            open = endpoint.connection_count(),
            "connections still open after the grace period"
        );
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phoenix-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// How long shutdown waits for requests and then for connections to finish.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

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
