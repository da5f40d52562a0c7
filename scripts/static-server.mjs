// The one small static file server of the repository's pages: the demo (demo-site/serve.mjs),
// the browser example and the packaging fixtures (js/scripts). Loopback only.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/**
 * Serves the folder `root` (an absolute path) on
 * 127.0.0.1:`port` (0 = any free port); `/dir/` serves `dir/index.html`; paths outside `root`
 * and below any folder named in `hide` are refused. Resolves with the server and its URL.
 */
export async function serveDir(root, { port = 0, hide = [] } = {}) {
  const base = root.endsWith(sep) ? root : root + sep;
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(base, path));
    const allowed =
      file.startsWith(base) && !file.slice(base.length).split(sep).some((p) => hide.includes(p));
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
