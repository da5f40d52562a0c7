// Prints the client's .wasm sizes: cargo output, after wasm-bindgen, after wasm-opt, gzipped.
// Usage: node sizes.mjs <cargo .wasm> <after wasm-bindgen> <after wasm-opt>
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const [raw, bindgen, opt] = process.argv.slice(2).map((p) => readFileSync(p));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const kb = (n) => `${n.toLocaleString("en")} B (${(n / 1024).toFixed(0)} KiB)`;
console.log("wasm client size (web build):");
console.log(`  cargo output (wasm-release profile) ${kb(raw.length)}`);
console.log(`  after wasm-bindgen                  ${kb(bindgen.length)}, gzip ${kb(gz(bindgen))}`);
console.log(`  after wasm-opt -Oz (npm binaryen)   ${kb(opt.length)}, gzip ${kb(gz(opt))}`);
// The target is 600 KB; checked in decimal bytes, the stricter reading.
const target = 600_000;
console.log(`  gzip target 600 KB (600,000 B): ${gz(opt) <= target ? "met" : "NOT met"}`);
