// An HTTP proxy in front of the S3 test server: adds a fixed delay to every request (the
// round trip a real object store costs; s3rver on loopback answers in about a millisecond)
// and lets a test act on a request before it is forwarded (change or delete the object, answer
// 503 itself). Used by the bench and by test/cli/s3.test.js.
import http from 'node:http';

/**
 * startProxy({ target: port, delayMs, hook }) -> { port, endpoint, requests, close() }.
 * `hook(req, res)` may answer the request itself and return true; it runs after the delay.
 */
export async function startProxy({ target, delayMs = 0, hook } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const state = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    state.requests++;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    try {
      if (hook && (await hook(req, res))) return;
    } catch (error) {
      res.writeHead(500).end(String(error));
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
