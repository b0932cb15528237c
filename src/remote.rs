//! Burn's remote backend: serving this machine's device to other processes
//! (`microcircuits serve`) and reaching such a server as a [`Device`]
//! (`--device remote:ws://HOST:PORT`).
//!
//! This is Burn 0.22's own remote backend over WebSocket (`burn::server::RemoteServer`,
//! `burn::remote::RemoteHost`), not a protocol of this library: a client sends the tensor
//! operations of its training loop, the server runs them on its device. Every session must
//! present the server's token; the token is read from a file or from the environment
//! variable [`TOKEN_ENV`], never from the command line (where `ps` would show it).
//!
//! ```no_run
//! use microcircuits::remote::{Server, connect};
//! # fn main() -> Result<(), microcircuits::remote::RemoteError> {
//! let server = Server::bind("127.0.0.1".parse().unwrap(), 0, burn::tensor::Device::flex(), "s3cret")?;
//! let url = format!("ws://{}", server.addr());
//! std::thread::spawn(move || server.serve());
//! let device = connect(&url, "s3cret")?; // tensors on `device` run in the server
//! # Ok(()) }
//! ```

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use burn::remote::{ConnectError, RemoteHost};
use burn::server::{
    AuthorizationRequest, PeerAuthorizer, RemoteServer, TokenAuthorizer, WebSocketTransport,
};
use burn::tensor::Device;

/// The environment variable that holds the token when no token file is given.
pub const TOKEN_ENV: &str = "MICROCIRCUITS_REMOTE_TOKEN";

/// Why a remote device could not be served or reached.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// Neither a token file nor the environment variable was given.
    #[error("{what} needs a token: pass --token-file FILE or set {TOKEN_ENV}")]
    NoToken {
        /// The server or the remote device.
        what: String,
    },
    /// The token file could not be read, or holds nothing.
    #[error("token file {path}: {message}")]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's reason.
        message: String,
    },
    /// The server stopped with an error.
    #[error("the server stopped: {0}")]
    Serve(String),
    /// The server refused this client's token.
    #[error("{url} refused the token (the server's log names the client)")]
    Unauthorized {
        /// The server.
        url: String,
    },
    /// The server could not be reached, or the session could not be opened.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The server.
        url: String,
        /// Burn's reason.
        message: String,
    },
}

/// The token: the first line of `file` if given, else the environment variable [`TOKEN_ENV`];
/// `None` when neither is set.
pub fn read_token(file: Option<&Path>) -> Result<Option<String>, RemoteError> {
    let token = match file {
        Some(path) => {
            let bad = |message: String| RemoteError::TokenFile {
                path: path.to_path_buf(),
                message,
            };
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            let token = text.lines().next().unwrap_or("").trim().to_string();
            if token.is_empty() {
                return Err(bad("the file is empty".into()));
            }
            token
        }
        None => match std::env::var(TOKEN_ENV) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => return Ok(None),
        },
    };
    Ok(Some(token))
}

/// Connects to the server at `url` (`ws://HOST:PORT`) with `token`; tensors created on the
/// returned device live in the server and every operation on them runs there.
pub fn connect(url: &str, token: &str) -> Result<Device, RemoteError> {
    let host = RemoteHost::websocket(url).with_credential(token);
    Device::remote_options(&host).init().map_err(|e| match e {
        ConnectError::Unauthorized => RemoteError::Unauthorized { url: url.into() },
        other => RemoteError::Connect {
            url: url.into(),
            message: other.to_string(),
        },
    })
}

/// A bound, not yet serving, remote server for one device.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    device: Device,
    token: String,
}

impl Server {
    /// Binds `bind:port` (port 0 picks a free one, see [`Server::addr`]) to serve `device` to
    /// clients that present `token`.
    pub fn bind(bind: IpAddr, port: u16, device: Device, token: &str) -> Result<Self, RemoteError> {
        let asked = SocketAddr::new(bind, port);
        let listener = TcpListener::bind(asked).map_err(|e| RemoteError::Bind {
            addr: asked,
            message: e.to_string(),
        })?;
        let addr = listener.local_addr().map_err(|e| RemoteError::Bind {
            addr: asked,
            message: e.to_string(),
        })?;
        Ok(Self {
            listener,
            addr,
            device,
            token: token.to_string(),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the process receives Ctrl-C or SIGTERM. Every session is logged on
    /// stderr, a refused one with the client's address.
    pub fn serve(self) -> Result<(), RemoteError> {
        let tokens = TokenAuthorizer::new(self.token.as_str())
            .map_err(|e| RemoteError::Serve(e.to_string()))?;
        let authorizer = move |request: AuthorizationRequest<'_>| {
            let client = request.client.to_string();
            let verdict = tokens.authorize(request);
            match &verdict {
                Ok(()) => eprintln!("serve: session opened for {client}"),
                Err(why) => eprintln!("serve: refused a session: {why}"),
            }
            verdict
        };
        RemoteServer::new([self.device])
            .with_authorizer(authorizer)
            .serve(WebSocketTransport::from_listener(self.listener))
            .map_err(|e| RemoteError::Serve(e.to_string()))
    }
}
