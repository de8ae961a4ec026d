// The winlang extension: the language (from package.json) and a client that starts
// `winlang lsp` for the checker's findings, completion, hover, navigation and quick fixes.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const configured = vscode.workspace.getConfiguration("winlang").get("server.command");
  const [command, ...args] =
    Array.isArray(configured) && configured.length ? configured : ["winlang", "lsp"];
  return { command, args, transport: TransportKind.stdio };
}

async function activate(context) {
  client = new LanguageClient(
    "winlang",
    "winlang",
    serverOptions(),
    {
      documentSelector: [
        { scheme: "file", language: "winlang" },
        { scheme: "untitled", language: "winlang" },
      ],
      synchronize: {
        // the configuration, the schema and template files change what a campaign checks to
        fileEvents: vscode.workspace.createFileSystemWatcher(
          "**/{winlang.toml,pyproject.toml,*.json,*.html,*.txt}"
        ),
      },
    }
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("winlang.restartServer", () => client.restart())
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
