// One static file server for the scripts that open a built page in headless Chromium (the
// bench, the start-up bench, npm run pretrain, npm run screenshot): 127.0.0.1, a free port,
// no caching, nothing served from outside `directory`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

/**
 * Serves `directory`; a path ending in '/' serves its `index` file. `headers` go on every
 * response (e.g. cross-origin isolation for the bench's WASM threads).
 */
export async function serveDirectory(directory, { index = 'index.html', headers = {} } = {}) {
  const root = path.resolve(directory);
  const common = { 'Cache-Control': 'no-store', ...headers };
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const relative = decodeURIComponent(pathname.endsWith('/') ? `${pathname}${index}` : pathname);
    const file = path.resolve(root, `.${relative}`);
    try {
      if (!file.startsWith(root + path.sep)) throw new Error('outside the served directory');
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      response.writeHead(200, {
        ...common,
        'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404, { ...common, 'Content-Type': 'text/plain' });
      response.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
