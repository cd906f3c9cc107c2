//! A minimal HTTP/1.1 server on 127.0.0.1 whose every answer a test controls:
//! status, headers, body, delays and a slow drip. One request per connection.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waited before anything is written.
    pub delay: Duration,
    /// When set, the body is written one byte per interval.
    pub drip: Option<Duration>,
    /// Announce this length instead of the real one (to test truncation).
    pub content_length: Option<usize>,
    /// Send no Content-Length: the body ends when the connection closes.
    pub omit_length: bool,
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
            drip: None,
            content_length: None,
            omit_length: false,
        }
    }

    pub fn status(status: u16) -> Self {
        Reply {
            status,
            ..Reply::json("")
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn dripping(mut self, interval: Duration) -> Self {
        self.drip = Some(interval);
        self
    }

    pub fn without_length(mut self) -> Self {
        self.omit_length = true;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler =
    Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// Serves `handler` on an ephemeral loopback port until the test's runtime ends.
pub async fn serve(handler: Handler) -> SocketAddr {
    serve_with(handler, None).await
}

/// Serves `handler` over TLS with `acceptor`'s certificate (HTTPS), or in
/// plain HTTP without one.
pub async fn serve_with(handler: Handler, acceptor: Option<TlsAcceptor>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (handler, acceptor) = (handler.clone(), acceptor.clone());
            tokio::spawn(async move {
                let _ = match acceptor {
                    None => handle_connection(stream, handler).await,
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls) => handle_connection(tls, handler).await,
                        Err(error) => Err(error),
                    },
                };
            });
        }
    });
    addr
}

async fn handle_connection(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    handler: Handler,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }

    let reply = handler(Request {
        method,
        path,
        headers,
        body,
    })
    .await;
    tokio::time::sleep(reply.delay).await;
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    if !reply.omit_length {
        let length = reply.content_length.unwrap_or(reply.body.len());
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    match reply.drip {
        None => stream.write_all(&reply.body).await?,
        Some(interval) => {
            for byte in &reply.body {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(interval).await;
            }
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}
