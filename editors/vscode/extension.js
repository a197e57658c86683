// Starts `reel lsp` for .edit files. The server does the work: diagnostics (as `reel check`),
// completion, hover, go to definition, outline and formatting (as `reel fmt`).
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("reel").get("path") || "reel";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "reel",
    "reel",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "reel-edit" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
