//! `/api/events`: server-sent events. Every open page holds one stream; a single hub thread
//! writes the `/api/state` document to each when the gallery's revision changes, and a
//! comment every [`KEEPALIVE`] so a dead client is noticed. Streams are bounded
//! ([`MAX_STREAMS`]) and each write has a short timeout, so a stalled or closed client is
//! dropped without holding a worker or the hub.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::state_json;
use crate::watch::serve::Gallery;

/// Open event streams at most; a page beyond that gets `503` (and retries, as browsers do).
pub const MAX_STREAMS: usize = 16;
/// How often the hub looks for a new revision.
const TICK: Duration = Duration::from_millis(40);
/// A comment line this often keeps proxies and the browser content and finds dead clients.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// A write to one client may take this long before the client is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);

/// The open event streams.
pub struct Hub {
    streams: Mutex<Vec<TcpStream>>,
    gallery: Arc<Mutex<Gallery>>,
}

impl Hub {
    /// Starts the hub thread, which ends when `stop` is set.
    pub fn start(gallery: Arc<Mutex<Gallery>>, stop: Arc<AtomicBool>) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            streams: Mutex::new(Vec::new()),
            gallery,
        });
        let h = hub.clone();
        std::thread::spawn(move || h.run(&stop));
        hub
    }

    /// Answers a `GET /api/events`: the head and the current state now, then the hub writes.
    pub fn subscribe(&self, mut stream: TcpStream) {
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let Ok(mut streams) = self.streams.lock() else {
            return;
        };
        if streams.len() >= MAX_STREAMS {
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                    Cache-Control: no-store\r\nConnection: close\r\n\r\nretry: 500\n\n";
        let now = self.message();
        if stream.write_all(head.as_bytes()).is_ok() && stream.write_all(now.as_bytes()).is_ok() {
            streams.push(stream);
        }
    }

    fn message(&self) -> String {
        let json = self
            .gallery
            .lock()
            .map(|g| state_json(&g))
            .unwrap_or_default();
        format!("event: state\ndata: {json}\n\n")
    }

    fn run(&self, stop: &AtomicBool) {
        let mut seen = None;
        let mut quiet_since = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(TICK);
            let revision = self.gallery.lock().map(|g| g.revision).ok();
            let msg = if revision != seen {
                seen = revision;
                self.message()
            } else if quiet_since.elapsed() >= KEEPALIVE {
                ": keepalive\n\n".to_owned()
            } else {
                continue;
            };
            quiet_since = Instant::now();
            if let Ok(mut streams) = self.streams.lock() {
                streams.retain_mut(|s| s.write_all(msg.as_bytes()).is_ok());
            }
        }
        if let Ok(mut streams) = self.streams.lock() {
            streams.clear();
        }
    }
}
