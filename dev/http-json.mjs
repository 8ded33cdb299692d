// Small HTTP helpers shared by the dev stand-ins (dev/front.mjs, dev/authkit.mjs).

/** Request bodies above this are refused (the stand-ins never need more). */
export const MAX_BODY = 1 << 20;

/** A JSON answer with an exact Content-Length; `headers` add to or override the defaults. */
export function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The request body as UTF-8 text; rejects (and drops the connection) above MAX_BODY. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
