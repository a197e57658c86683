//! A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe`: Chromium reads
//! NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4. No sockets: the
//! browser has no debugging port another process could reach.
//!
//! Owns the browser process (a fresh profile directory, killed when dropped and when reel
//! dies) and message framing. What to send, and how to answer events, is the caller's.

use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::diagnostics::Diagnostic;

/// How long Chromium may take to exit after `Browser.close` before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The sending half of a connection: commands go to the attached page when a session is set.
pub struct Conn {
    /// Chromium's fd 3.
    to: PipeWriter,
    /// The id of the next command.
    next_id: u64,
    /// The page session commands go to (flat mode), once attached.
    session: Option<String>,
}

impl Conn {
    /// Sends `method` with `params`; returns the command id.
    pub fn send(&mut self, method: &str, params: Json) -> Result<u64, Diagnostic> {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = Json::String(s.clone());
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .map_err(|e| lost(&format!("cannot send `{method}` to Chromium"), &e))?;
        Ok(self.next_id)
    }
}

/// A running headless Chromium and its DevTools pipe.
pub struct Browser {
    /// Commands.
    pub conn: Conn,
    /// Replies and events, parsed by a reader thread.
    from: mpsc::Receiver<Json>,
    /// The browser process.
    child: Child,
    /// When everything must be done.
    deadline: Instant,
    /// The fresh, empty profile, deleted on drop (after the process is gone).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `exe` with `args` plus the pipe and a fresh profile; everything must finish
    /// before `deadline`.
    pub fn launch(exe: &Path, args: &[String], deadline: Instant) -> Result<Self, Diagnostic> {
        let profile = tempfile::tempdir()
            .map_err(|e| lost("cannot create a profile folder for Chromium", &e))?;
        let (cmd_r, cmd_w) =
            std::io::pipe().map_err(|e| lost("cannot create a pipe to Chromium", &e))?;
        let (evt_r, evt_w) =
            std::io::pipe().map_err(|e| lost("cannot create a pipe from Chromium", &e))?;
        let (r, w) = (cmd_r.as_raw_fd(), evt_w.as_raw_fd());
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--remote-debugging-pipe")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: between fork and exec only async-signal-safe calls (fcntl, dup2, close, prctl)
        // on fds that stay open in the parent until `spawn` returns.
        unsafe {
            cmd.pre_exec(move || {
                // Move both ends above the fds they go to first, so neither is overwritten and
                // the copies at 3 and 4 lose close-on-exec.
                let a = libc::fcntl(r, libc::F_DUPFD, 10);
                let b = libc::fcntl(w, libc::F_DUPFD, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(a);
                libc::close(b);
                // Chromium dies with reel, even on kill -9.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| lost(&format!("cannot start `{}`", exe.display()), &e))?;
        // Only the child keeps its ends: EOF on fd 4 then means Chromium is gone.
        drop((cmd_r, evt_w));
        let (tx, from) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(evt_r);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                buf.pop_if(|b| *b == 0);
                if let Ok(msg) = serde_json::from_slice::<Json>(&buf)
                    && tx.send(msg).is_err()
                {
                    break;
                }
                buf.clear();
            }
        });
        Ok(Browser {
            conn: Conn {
                to: cmd_w,
                next_id: 0,
                session: None,
            },
            from,
            child,
            deadline,
            _profile: profile,
        })
    }

    /// When everything must be done.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline (a shorter wait for one call, then back).
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// The next message from Chromium (a reply or an event), waiting until the deadline.
    pub(crate) fn next(&mut self) -> Result<Json, Diagnostic> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.from.recv_timeout(left) {
            Ok(m) => Ok(m),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Diagnostic::error(
                "the html page took too long to render in Chromium",
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Diagnostic::error(
                "Chromium stopped before the html page was drawn",
            )),
        }
    }

    /// Sends a command and waits for its reply, handing every event that arrives meanwhile to
    /// `on_event`. Returns the reply's `result`; a protocol error is an error.
    pub fn call(
        &mut self,
        method: &str,
        params: Json,
        on_event: &mut dyn FnMut(&mut Conn, &Json),
    ) -> Result<Json, Diagnostic> {
        let id = self.conn.send(method, params)?;
        loop {
            let msg = self.next()?;
            if msg.get("id").and_then(Json::as_u64) == Some(id) {
                if let Some(err) = msg.get("error") {
                    let text = err.get("message").and_then(Json::as_str).unwrap_or("");
                    return Err(Diagnostic::error(format!(
                        "Chromium refused `{method}`: {text}"
                    )));
                }
                return Ok(msg.get("result").cloned().unwrap_or(Json::Null));
            }
            if msg.get("method").is_some() {
                on_event(&mut self.conn, &msg);
            }
        }
    }

    /// Attaches to a new blank page; later commands go to it.
    pub fn open_page(&mut self) -> Result<(), Diagnostic> {
        let mut ignore = |_: &mut Conn, _: &Json| {};
        let target = self.call(
            "Target.createTarget",
            json!({"url": "about:blank"}),
            &mut ignore,
        )?;
        let id = target.get("targetId").cloned().unwrap_or(Json::Null);
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
            &mut ignore,
        )?;
        let session = attached.get("sessionId").and_then(Json::as_str);
        self.conn.session = session.map(str::to_string);
        if self.conn.session.is_none() {
            return Err(Diagnostic::error("Chromium opened no page to draw in"));
        }
        Ok(())
    }

    /// Asks Chromium to exit, and kills it if it does not within [`CLOSE_GRACE`].
    pub fn close(mut self) {
        self.conn.session = None;
        let _ = self.conn.send("Browser.close", json!({}));
        let until = Instant::now() + CLOSE_GRACE;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn lost(what: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(what.to_string()).with_note(e.to_string())
}
