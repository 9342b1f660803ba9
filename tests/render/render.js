#!/usr/bin/env node
// Render formulas with KaTeX, the way a browser / Jupyter would.
//
// stdin:  a JSON array of LaTeX strings (display-mode formulas, no $$ delimiters)
// stdout: a JSON array, one {"ok": true} or {"ok": false, "error": "..."} per formula
// exit:   0 when every formula rendered, 1 when at least one was rejected,
//         2 when the input could not be read.
// Used by tests/test_render.py; all formulas go through ONE node process.
"use strict";

const katex = require("katex");

function renderAll(formulas) {
  return formulas.map((tex) => {
    try {
      katex.renderToString(tex, { throwOnError: true, displayMode: true, strict: "error" });
      return { ok: true };
    } catch (err) {
      return { ok: false, error: String(err && err.message ? err.message : err) };
    }
  });
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  let formulas;
  try {
    formulas = JSON.parse(input);
    if (!Array.isArray(formulas) || !formulas.every((f) => typeof f === "string")) {
      throw new Error("expected a JSON array of strings");
    }
  } catch (err) {
    process.stderr.write(`render.js: bad input: ${err.message}\n`);
    process.exit(2);
  }
  const results = renderAll(formulas);
  process.stdout.write(JSON.stringify(results) + "\n");
  process.exit(results.every((r) => r.ok) ? 0 : 1);
});
