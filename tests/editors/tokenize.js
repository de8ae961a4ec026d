// Tokenise texts with a TextMate grammar the way VS Code does (vscode-textmate on the
// Oniguruma regex engine). Usage: node tokenize.js NODE_PREFIX < {"grammar": path, "texts": {}}
// prints {name: [[line, start, end, [scopes...]], ...]}; start and end count UTF-16 units.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = path.join(process.argv[2], "node_modules");
const textmate = require(path.join(modules, "vscode-textmate"));
const oniguruma = require(path.join(modules, "vscode-oniguruma"));

async function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma", "release", "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () =>
      textmate.parseRawGrammar(fs.readFileSync(input.grammar, "utf8"), input.grammar),
  });
  const grammar = await registry.loadGrammar("source.winlang");
  const output = {};
  for (const [name, text] of Object.entries(input.texts)) {
    let state = textmate.INITIAL;
    const tokens = [];
    text.split("\n").forEach((line, number) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        tokens.push([number, token.startIndex, Math.min(token.endIndex, line.length), token.scopes]);
      }
      state = result.ruleStack;
    });
    output[name] = tokens;
  }
  process.stdout.write(JSON.stringify(output));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
