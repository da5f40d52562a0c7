// Serves the demo: the page and the package installed in demo-site/node_modules (from the
// packed tarball). `node serve.mjs [--port N]` prints the URL; tests import `serve()` and get a
// server on a free port.
import { fileURLToPath } from "node:url";
import { serveDir } from "../scripts/static-server.mjs";

const root = fileURLToPath(new URL(".", import.meta.url));

/** Starts the demo's server on 127.0.0.1:`port` (0 = any free port): `{ server, url }`. */
export const serve = (port = 0) => serveDir(root, { port, hide: ["tests"] });

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
