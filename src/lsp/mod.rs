//! `reel lsp`: a Language Server over stdin/stdout for `.edit` files.
//!
//! Built on `lsp-server` (rust-analyzer's JSON-RPC scaffold) and `lsp-types`, single-threaded:
//! the editor's messages are handled in order; diagnostics of a changed file are computed once
//! the file has been quiet for [`DEBOUNCE`] (a burst of keystrokes is checked once), with the
//! same pipeline as `reel check` ([`diag`]), in two passes: the template with its first data
//! row at once (what a keystroke changes), then, while the editor sends nothing, every row
//! (published again only if it finds more; abandoned and restarted when a message arrives). Completion, hover, go-to-definition and symbols
//! read the current text with forgiving scans ([`context`]) and the schema's vocabulary
//! ([`vocab`]); formatting is `reel fmt`'s ([`crate::syntax::fmt`]). Positions are UTF-16, as the
//! protocol says ([`pos`]).

mod complete;
mod context;
mod diag;
mod hover;
mod pos;
mod symbols;
mod uri;
mod vocab;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CompletionOptions, CompletionResponse, DocumentSymbolResponse, GotoDefinitionResponse, Hover,
    HoverContents, HoverProviderCapability, Location, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Uri,
};
use pos::LineIndex;

/// How long a file must be quiet after a change before it is checked.
pub const DEBOUNCE: Duration = Duration::from_millis(15);

/// Runs the server on stdin/stdout until the editor says `exit`.
pub fn run() -> anyhow::Result<()> {
    let (connection, io) = Connection::stdio();
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["=", "|", ".", " "].map(String::from).to_vec()),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    connection
        .initialize(serde_json::to_value(caps)?)
        .context("LSP initialize")?;
    Server::default().serve(&connection)?;
    drop(connection);
    io.join().context("LSP stdio")?;
    Ok(())
}

/// One open file.
struct Doc {
    /// Its path (diagnostics resolve includes and data against it).
    path: PathBuf,
    /// The editor's text.
    text: String,
    /// When to check it next, if it changed.
    due: Option<Instant>,
    /// Every row still has to be checked (after the quick first pass).
    full: bool,
    /// The diagnostics published last.
    published: Vec<lsp_types::Diagnostic>,
}

#[derive(Default)]
struct Server {
    docs: HashMap<Uri, Doc>,
}

impl Server {
    fn serve(&mut self, conn: &Connection) -> anyhow::Result<()> {
        loop {
            let next = self.docs.values().filter_map(|d| d.due).min();
            let wait = next.map_or(Duration::from_secs(3600), |t| {
                t.saturating_duration_since(Instant::now())
            });
            match conn.receiver.recv_timeout(wait) {
                Ok(Message::Request(req)) => {
                    if conn.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let resp = self.request(req);
                    conn.sender.send(resp.into())?;
                }
                Ok(Message::Notification(n)) => {
                    if n.method == "exit" {
                        return Ok(());
                    }
                    self.notification(n, conn)?;
                }
                Ok(Message::Response(_)) => {}
                Err(e) if e.is_timeout() => {}
                Err(_) => return Ok(()),
            }
            let now = Instant::now();
            let due: Vec<Uri> = self
                .docs
                .iter()
                .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
                .map(|(u, _)| u.clone())
                .collect();
            for uri in due {
                self.publish(&uri, conn)?;
            }
            if conn.receiver.is_empty() {
                self.check_all_rows(conn)?;
            }
        }
    }

    fn notification(&mut self, n: Notification, conn: &Connection) -> anyhow::Result<()> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                let Some(path) = uri::to_path(&uri) else {
                    return Ok(());
                };
                self.docs.insert(
                    uri.clone(),
                    Doc {
                        path,
                        text: p.text_document.text,
                        due: None,
                        full: false,
                        published: Vec::new(),
                    },
                );
                self.publish(&uri, conn)?;
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.get_mut(&p.text_document.uri)
                    && let Some(change) = p.content_changes.into_iter().last()
                {
                    doc.text = change.text;
                    doc.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            DidSaveTextDocument::METHOD => {
                // Data files and includes may have changed too: check again now.
                let p: lsp_types::DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
                if self.docs.contains_key(&p.text_document.uri) {
                    self.publish(&p.text_document.uri, conn)?;
                }
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                self.docs.remove(&p.text_document.uri);
                send_diagnostics(conn, p.text_document.uri, Vec::new())?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks one file with its first data row and publishes its diagnostics; the other rows
    /// are left for [`Server::check_all_rows`].
    fn publish(&mut self, uri: &Uri, conn: &Connection) -> anyhow::Result<()> {
        let Some(doc) = self.docs.get_mut(uri) else {
            return Ok(());
        };
        doc.due = None;
        doc.full = true;
        if let Some(list) = diagnose(doc, 1, &|| true) {
            doc.published = list.clone();
            send_diagnostics(conn, uri.clone(), list)?;
        }
        Ok(())
    }

    /// Checks every row of the files that need it, while no message waits; publishes what
    /// differs from the first pass.
    fn check_all_rows(&mut self, conn: &Connection) -> anyhow::Result<()> {
        for (uri, doc) in &mut self.docs {
            if !doc.full {
                continue;
            }
            let Some(list) = diagnose(doc, diag::MAX_ROWS, &|| conn.receiver.is_empty()) else {
                return Ok(());
            };
            doc.full = false;
            if list != doc.published {
                doc.published = list.clone();
                send_diagnostics(conn, uri.clone(), list)?;
            }
        }
        Ok(())
    }

    fn request(&self, req: Request) -> Response {
        let id = req.id.clone();
        match self.answer(req) {
            Ok(Some(value)) => Response::new_ok(id, value),
            Ok(None) => Response::new_ok(id, serde_json::Value::Null),
            Err(Answer::Unknown(method)) => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("reel lsp does not handle {method}"),
            ),
            Err(Answer::Bad(e)) => {
                Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string())
            }
        }
    }

    fn answer(&self, req: Request) -> Result<Option<serde_json::Value>, Answer> {
        let json = |v: serde_json::Result<serde_json::Value>| v.map(Some).map_err(Answer::Bad);
        match req.method.as_str() {
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = serde_json::from_value(req.params)?;
                let tdp = p.text_document_position;
                let Some(doc) = self.docs.get(&tdp.text_document.uri) else {
                    return Ok(None);
                };
                let ix = LineIndex::new(&doc.text);
                let offset = ix.offset(tdp.position);
                let items = complete::complete(&doc.text, &doc.path, offset, |s, e| ix.range(s, e));
                json(serde_json::to_value(CompletionResponse::Array(items)))
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = serde_json::from_value(req.params)?;
                let tdp = p.text_document_position_params;
                let Some(doc) = self.docs.get(&tdp.text_document.uri) else {
                    return Ok(None);
                };
                let ix = LineIndex::new(&doc.text);
                let Some((text, s, e)) = hover::hover(&doc.text, ix.offset(tdp.position)) else {
                    return Ok(None);
                };
                json(serde_json::to_value(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: text,
                    }),
                    range: Some(ix.range(s, e)),
                }))
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = serde_json::from_value(req.params)?;
                let tdp = p.text_document_position_params;
                let Some(doc) = self.docs.get(&tdp.text_document.uri) else {
                    return Ok(None);
                };
                let ix = LineIndex::new(&doc.text);
                let target = symbols::definition(&doc.text, &doc.path, ix.offset(tdp.position));
                let location = match target {
                    None => return Ok(None),
                    Some(symbols::Target::Here(s, e)) => {
                        Location::new(tdp.text_document.uri.clone(), ix.range(s, e))
                    }
                    Some(symbols::Target::File(path, s, e)) => {
                        let text = std::fs::read_to_string(&path).unwrap_or_default();
                        let Some(uri) = uri::from_path(&path) else {
                            return Ok(None);
                        };
                        Location::new(uri, LineIndex::new(&text).range(s, e))
                    }
                };
                json(serde_json::to_value(GotoDefinitionResponse::Scalar(
                    location,
                )))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = serde_json::from_value(req.params)?;
                let Some(doc) = self.docs.get(&p.text_document.uri) else {
                    return Ok(None);
                };
                let ix = LineIndex::new(&doc.text);
                let list = symbols::symbols(&doc.text, &|s, e| ix.range(s, e));
                json(serde_json::to_value(DocumentSymbolResponse::Nested(list)))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = serde_json::from_value(req.params)?;
                let Some(doc) = self.docs.get(&p.text_document.uri) else {
                    return Ok(None);
                };
                json(serde_json::to_value(format_edits(&doc.text)))
            }
            other => Err(Answer::Unknown(other.to_string())),
        }
    }
}

/// The LSP diagnostics of `doc` over its first `rows` rows (`None`: cancelled).
fn diagnose(
    doc: &Doc,
    rows: usize,
    keep_going: &dyn Fn() -> bool,
) -> Option<Vec<lsp_types::Diagnostic>> {
    let (sources, found) = diag::check(&doc.path, &doc.text, rows, keep_going)?;
    let main = diag::main_file(&sources, &doc.path);
    let index = LineIndex::new(&doc.text);
    Some(
        found
            .iter()
            .map(|d| diag::to_lsp(d, &sources, main, &index))
            .collect(),
    )
}

/// Why a request got no answer.
enum Answer {
    /// A method this server does not implement.
    Unknown(String),
    /// Parameters that do not parse.
    Bad(serde_json::Error),
}

impl From<serde_json::Error> for Answer {
    fn from(e: serde_json::Error) -> Self {
        Answer::Bad(e)
    }
}

/// `reel fmt`'s layout as one edit of the whole text; none when the text is formatted
/// already or does not parse (as `reel fmt` refuses to format it).
fn format_edits(text: &str) -> Vec<TextEdit> {
    if crate::syntax::parse_str("doc.edit", text).1.is_err() {
        return Vec::new();
    }
    match crate::syntax::fmt::format(text) {
        Some(new) if new != text => vec![TextEdit {
            range: LineIndex::new(text).full_range(),
            new_text: new,
        }],
        _ => Vec::new(),
    }
}

fn send_diagnostics(
    conn: &Connection,
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
) -> anyhow::Result<()> {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    let n = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
    conn.sender.send(n.into())?;
    Ok(())
}
