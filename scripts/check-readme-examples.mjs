// The README's code examples are files CI runs: every fenced block right after a line
// `<!-- example: PATH -->` must equal the file at PATH (relative to the repository root).
// Prints one line per example; exits 1 on a difference, a missing file, or no example at all.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");
const marker = /<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;
let checked = 0;
let failed = 0;
for (const [, path, block] of readme.matchAll(marker)) {
  checked += 1;
  if (!existsSync(`${root}${path}`)) {
    console.error(`README example ${path}: no such file`);
    failed += 1;
    continue;
  }
  const file = readFileSync(`${root}${path}`, "utf8").replace(/\n$/, "");
  if (file === block) {
    console.log(`README example = ${path} (${block.split("\n").length} lines)`);
    continue;
  }
  const a = block.split("\n");
  const b = file.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  console.error(`README example differs from ${path} at line ${(line < 0 ? a.length : line) + 1}`);
  failed += 1;
}
if (checked === 0) console.error("no README example found (expected <!-- example: PATH --> markers)");
process.exit(failed || checked === 0 ? 1 : 0);
