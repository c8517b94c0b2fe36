//! Faults a real part cannot produce on demand: an HTTP dependency (the schema registry) that
//! answers 500 or 429 for a while.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy in front of an HTTP server. Healthy, it passes every connection through; failing,
/// it answers every request on a new connection with one status and closes it, and cuts the
/// connections it was passing through (so pooled clients meet the fault too).
pub struct HttpFault {
    url: String,
    answer: watch::Sender<Option<u16>>,
    failed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpFault {
    /// A healthy proxy to `upstream` (`http://host:port`) on a free loopback port.
    pub async fn start(upstream: &str) -> HttpFault {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (answer, watching) = watch::channel(None);
        let failed = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&failed);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let watching = watching.clone();
                let counter = Arc::clone(&counter);
                tokio::spawn(connection(client, upstream, watching, counter));
            }
        });
        HttpFault {
            url,
            answer,
            failed,
            task,
        }
    }

    /// Its base URL, to configure in place of the upstream's.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// From now on every request is answered with `status`.
    pub fn fail_with(&self, status: u16) {
        self.answer.send_replace(Some(status));
    }

    /// From now on requests reach the upstream again.
    pub fn heal(&self) {
        self.answer.send_replace(None);
    }

    /// How many requests it has answered with the failing status.
    pub fn failed_requests(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

impl Drop for HttpFault {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connection(
    mut client: TcpStream,
    upstream: String,
    mut watching: watch::Receiver<Option<u16>>,
    failed: Arc<AtomicU64>,
) {
    let status = *watching.borrow_and_update();
    if let Some(status) = status {
        // Read the request head, answer, close.
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match client.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        let body = format!(r#"{{"error_code":{status}01,"message":"injected fault"}}"#);
        let response = format!(
            "HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        failed.fetch_add(1, Ordering::Relaxed);
        let _ = client.write_all(response.as_bytes()).await;
        let _ = client.shutdown().await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = watching.wait_for(Option::is_some) => {}
    }
}
