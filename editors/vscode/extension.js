// Starts the mbs language server (`mbs lsp`, on stdio) for .mbs files.
// Highlighting comes from syntaxes/mbs.tmLanguage.json and works without the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("mbs");
  const [command, ...args] = config.get("server.command", ["mbs", "lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "mbs",
    "mbs language server",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "mbs" },
        { scheme: "untitled", language: "mbs" },
      ],
      initializationOptions: { debounce: config.get("server.debounce", 0.3) },
    }
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("mbs.restartServer", () => client.restart())
  );
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `mbs: cannot start "${[command, ...args].join(" ")}" (${err.message}). ` +
        "Set mbs.server.command to the mbs of your virtualenv."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
