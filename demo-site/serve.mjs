// A small static server for the demo: the page and the package installed in
// demo-site/node_modules (from the packed tarball). `node serve.mjs [--port N]` prints the URL;
// tests import `serve()` and get a server on a free port.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/** Starts the server on 127.0.0.1:`port` (0 = any free port); resolves with it and its URL. */
export async function serve(port = 0) {
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(root, path));
    const allowed = file.startsWith(root) && !file.slice(root.length).split(sep).includes("tests");
    if (!allowed) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((ok, fail) => server.once("error", fail).listen(port, "127.0.0.1", ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  try {
    const { url } = await serve(port);
    console.log(`demo: ${url}  (Ctrl-C stops)`);
  } catch (e) {
    console.error(`cannot serve the demo on 127.0.0.1:${port}: ${e.message} (use --port N)`);
    process.exit(2);
  }
}
