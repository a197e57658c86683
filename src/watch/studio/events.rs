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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::serve::Server;
    use std::io::{BufRead, BufReader};

    fn subscribe(addr: &str) -> BufReader<TcpStream> {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        BufReader::new(s)
    }

    /// The `data:` of the next event.
    fn next_data(r: &mut BufReader<TcpStream>) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(r.read_line(&mut line).unwrap() > 0, "stream ended");
            if let Some(d) = line.strip_prefix("data: ") {
                return d.trim_end().to_owned();
            }
        }
    }

    #[test]
    fn every_revision_reaches_open_streams_and_closed_ones_are_dropped() {
        let gallery = Arc::new(Mutex::new(Gallery::default()));
        let server = Server::start(0, gallery.clone(), None).unwrap();
        let addr = server.url()[7..].trim_end_matches('/').to_owned();
        let mut a = subscribe(&addr);
        let mut head = String::new();
        a.read_line(&mut head).unwrap();
        assert_eq!(head, "HTTP/1.1 200 OK\r\n");
        assert!(next_data(&mut a).contains("\"revision\":0"));
        // A client that hangs up is dropped at the next write, without harm.
        drop(subscribe(&addr));
        for n in 1..=3 {
            let mut g = gallery.lock().unwrap();
            g.revision = n;
            g.status = format!("build {n}");
            drop(g);
            let data = next_data(&mut a);
            assert!(
                data.contains(&format!("\"status\":\"build {n}\"")),
                "{data}"
            );
        }
        // Streams are bounded (`a` is one).
        let mut open: Vec<_> = (1..MAX_STREAMS).map(|_| subscribe(&addr)).collect();
        for s in &mut open {
            next_data(s);
        }
        let mut refused = String::new();
        subscribe(&addr).read_line(&mut refused).unwrap();
        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
        drop(server);
    }
}
