//! `microcircuits serve`: this machine's device as a Burn remote server.

use std::net::IpAddr;

use clap::Args;

use super::Global;

/// Serve a device to other `microcircuits` processes (`--device remote:ws://HOST:PORT`) over
/// Burn's remote backend (WebSocket), until Ctrl-C. Clients must present the token, read from
/// --token-file or MICROCIRCUITS_REMOTE_TOKEN on both sides.
///
/// Example: microcircuits serve --port 3000 --token-file ~/.microcircuits-token
#[derive(Args)]
pub struct ServeArgs {
    /// TCP port (0 picks a free one; the first line printed says which).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Address to listen on; 0.0.0.0 for every interface (the WebSocket is unencrypted:
    /// only on a trusted network).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
}

/// Binds, prints the URL clients use, and serves until interrupted.
pub fn run(args: ServeArgs, global: &Global) -> anyhow::Result<()> {
    #[cfg(feature = "remote")]
    {
        use microcircuits::remote::{RemoteError, Server};
        let Some(token) = global.token()? else {
            return Err(RemoteError::NoToken {
                what: "serve".into(),
            }
            .into());
        };
        if global
            .device
            .as_deref()
            .is_some_and(|d| microcircuits::backend::remote_url(d).is_some())
        {
            anyhow::bail!("serve hosts a local device: --device flex, ndarray, wgpu or cuda");
        }
        let device = global.device()?;
        let server = Server::bind(args.bind, args.port, device.clone(), &token)?;
        // The first line of stdout is the URL, for scripts and tests that start a server on
        // port 0.
        println!("serving ws://{}", server.addr());
        eprintln!(
            "serve: {device:?} on ws://{}; clients need the token; Ctrl-C stops",
            server.addr()
        );
        use std::io::Write;
        std::io::stdout().flush()?;
        Ok(server.serve()?)
    }
    #[cfg(not(feature = "remote"))]
    {
        let _ = (args, global);
        anyhow::bail!("serve needs the remote backend: rebuild with `--features remote`")
    }
}
