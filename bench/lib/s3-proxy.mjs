// An HTTP proxy in front of the S3 test server: adds a fixed delay to every request (the
// round trip a real object store costs; s3rver on loopback answers in about a millisecond)
// and lets a test act on a request before it is forwarded (change or delete the object, answer
// 503 itself), cut the answer's body after some bytes (a connection reset mid-stream), stall it
// (never answer, or stop sending after some bytes with the connection left open) or rewrite a
// whole answer (a listing that contradicts itself). Used by the bench and by test/cli/s3.test.js.
import http from 'node:http';

/**
 * startProxy({ target: port, delayMs, hook, cut, stall, rewrite }) -> { port, endpoint, requests, close() }.
 * `hook(req, res)` may answer the request itself and return true; it runs after the delay, and
 * may change `req.url` before it is forwarded.
 * `cut(req)` may return a byte count: the answer's head and that many bytes of its body are
 * passed on, then the connection is destroyed.
 * `stall(req)` may return 'request' (never answered) or a byte count (the head and that many
 * bytes, then nothing more); the connection stays open until the client gives up or close().
 * `rewrite(req, body)` may return a new body (a Buffer or string) for the whole answer.
 */
export async function startProxy({ target, delayMs = 0, hook, cut, stall, rewrite } = {}) {
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
    const stallAt = stall?.(req);
    if (stallAt === 'request') return void req.resume();
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      if (rewrite) {
        const parts = [];
        up.on('data', (d) => parts.push(d));
        up.on('end', () => {
          let body = Buffer.concat(parts);
          const changed = rewrite(req, body);
          if (changed !== undefined) body = Buffer.from(changed);
          const headers = { ...up.headers, 'content-length': body.length };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode, headers);
          res.end(body);
        });
        return;
      }
      res.writeHead(up.statusCode, up.headers);
      if (stallAt !== undefined) {
        res.flushHeaders();
        let left = stallAt;
        up.on('data', (d) => {
          if (left <= 0) return;
          res.write(d.subarray(0, left));
          left -= d.length;
        });
        return;
      }
      const after = cut?.(req);
      if (after === undefined) return void up.pipe(res);
      res.flushHeaders();
      let left = after;
      const destroy = () => {
        up.destroy();
        res.socket?.destroy();
      };
      if (left === 0) return void res.write('', destroy);
      up.on('data', (d) => {
        if (left <= 0) return;
        const part = d.subarray(0, left);
        left -= part.length;
        if (left > 0) res.write(part);
        else res.write(part, destroy);
      });
      up.on('end', () => left > 0 && res.end());
    });
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
