// A small local push service that speaks Mozilla's push protocol (autopush): Firefox connects to
// it over WebSocket (pref dom.push.serverURL), and application servers POST encrypted messages to
// the endpoints it hands out, as they would to a real one. Loopback only.
//
//   node push-service.mjs [PORT]     (0 or nothing: any free port)
//
// Prints "push service listening on port N" once ready, then one JSON line per event
// ({"event":"push",...}) so a test can read what arrived and what was refused.
//
// The HTTP side is as strict as a real service (RFC 8030, 8188, 8291, 8292): it requires
// Content-Encoding: aes128gcm, a TTL, and a VAPID Authorization whose ES256 signature verifies with
// its k, whose k is the key the subscription was created with, whose aud is this service's own
// origin including the port, and whose exp is in the future and at most 24 hours away.

import { createServer } from "node:http";
import { createPublicKey, randomUUID, verify } from "node:crypto";
import { WebSocketServer } from "ws";

const MAX_BODY = 4096;
const DAY_S = 24 * 60 * 60;

const port = Number(process.argv[2] ?? 0);
/** token -> { uaid, channelID, key } */
const endpoints = new Map();
/** uaid -> WebSocket */
const clients = new Map();
/** uaid -> notifications waiting for the browser to connect */
const pending = new Map();
let origin = "";
let version = 0;

const log = (event) => console.log(JSON.stringify(event));
const b64url = (buf) => Buffer.from(buf).toString("base64url");

const http = createServer((req, res) => {
  const reply = (status, error) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(error ? { code: status, error } : {}));
  };
  const match = /^\/wpush\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
  if (req.method !== "POST" || !match) return reply(404, "no such endpoint");
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on("end", () => {
    const token = match[1];
    const body = Buffer.concat(chunks);
    const outcome = receive(token, req.headers, body, size);
    log({ event: "push", token, status: outcome.status, error: outcome.error, ttl: req.headers.ttl,
      urgency: req.headers.urgency, encoding: req.headers["content-encoding"], bytes: size, claims: outcome.claims });
    if (outcome.status === 201) {
      res.writeHead(201, { location: `${origin}/m/${outcome.id}`, ttl: req.headers.ttl });
      res.end();
    } else {
      reply(outcome.status, outcome.error);
    }
  });
});

/** Checks one push request and forwards it; returns { status, error?, claims?, id? }. */
function receive(token, headers, body, size) {
  const target = endpoints.get(token);
  if (!target) return { status: 404, error: "unknown or unsubscribed endpoint" };
  if (size > MAX_BODY) return { status: 413, error: `body of ${size} bytes is over ${MAX_BODY}` };
  if (headers["content-encoding"] !== "aes128gcm") return { status: 415, error: "Content-Encoding must be aes128gcm" };
  if (!/^[0-9]+$/.test(headers.ttl ?? "")) return { status: 400, error: "missing or invalid TTL header" };
  if (body.length < 21 + 65 + 17) return { status: 400, error: "body too short for an aes128gcm record" };
  const vapid = checkVapid(headers.authorization ?? "", target.key);
  if (vapid.error) return { status: vapid.status, error: vapid.error, claims: vapid.claims };
  const id = randomUUID();
  const message = {
    messageType: "notification",
    channelID: target.channelID,
    version: `v${++version}`,
    data: b64url(body),
    headers: { encoding: "aes128gcm" },
  };
  const socket = clients.get(target.uaid);
  if (socket) socket.send(JSON.stringify(message));
  else pending.set(target.uaid, [...(pending.get(target.uaid) ?? []), message]);
  return { status: 201, claims: vapid.claims, id };
}

/** RFC 8292: `vapid t=<JWT>, k=<base64url P-256 point>`. */
function checkVapid(authorization, subscribedKey) {
  const scheme = /^vapid\s+(.*)$/i.exec(authorization);
  if (!scheme) return { status: 401, error: "Authorization must use the vapid scheme" };
  const params = Object.fromEntries(
    scheme[1].split(",").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    }),
  );
  if (!params.t || !params.k) return { status: 401, error: "vapid needs t= and k=" };
  const point = Buffer.from(params.k, "base64url");
  if (point.length !== 65 || point[0] !== 4) return { status: 401, error: "k is not an uncompressed P-256 point" };
  if (subscribedKey && params.k.replace(/=+$/, "") !== subscribedKey.replace(/=+$/, "")) {
    return { status: 403, error: "k is not the key this subscription was created with" };
  }
  const parts = params.t.split(".");
  if (parts.length !== 3) return { status: 401, error: "t is not a JWT" };
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url"));
  } catch {
    return { status: 401, error: "t is not a JWT" };
  }
  if (header.alg !== "ES256") return { status: 401, error: `alg ${header.alg} is not ES256`, claims };
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: "jwk",
  });
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], "base64url");
  if (signature.length !== 64 || !verify("sha256", signed, { key, dsaEncoding: "ieee-p1363" }, signature)) {
    return { status: 401, error: "the JWT's signature does not verify with k", claims };
  }
  if (claims.aud !== origin) return { status: 401, error: `aud ${claims.aud} is not ${origin}`, claims };
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(claims.exp) || claims.exp <= now) return { status: 401, error: "exp has passed", claims };
  if (claims.exp > now + DAY_S + 60) return { status: 401, error: "exp is more than 24 hours away", claims };
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub)) {
    return { status: 401, error: "sub must be a mailto: or https: URL", claims };
  }
  return { claims };
}

const sockets = new WebSocketServer({ server: http, handleProtocols: (protocols) => [...protocols][0] ?? false });
sockets.on("connection", (socket) => {
  let uaid = null;
  socket.on("message", (raw) => {
    let message;
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return socket.close(4000, "not JSON");
    }
    const type = message.messageType;
    if (type === undefined) return socket.send("{}"); // ping
    log({ event: "ws", messageType: type, channelID: message.channelID });
    if (type === "hello") {
      uaid = typeof message.uaid === "string" && message.uaid ? message.uaid : randomUUID().replaceAll("-", "");
      clients.set(uaid, socket);
      socket.send(JSON.stringify({ messageType: "hello", uaid, status: 200, use_webpush: true, broadcasts: {} }));
      for (const waiting of pending.get(uaid) ?? []) socket.send(JSON.stringify(waiting));
      pending.delete(uaid);
    } else if (type === "register" && uaid) {
      const token = b64url(Buffer.from(randomUUID().replaceAll("-", ""), "hex"));
      endpoints.set(token, { uaid, channelID: message.channelID, key: message.key ?? null });
      socket.send(JSON.stringify({
        messageType: "register", channelID: message.channelID, status: 200,
        pushEndpoint: `${origin}/wpush/${token}`,
      }));
    } else if (type === "unregister") {
      for (const [token, target] of endpoints) {
        if (target.uaid === uaid && target.channelID === message.channelID) endpoints.delete(token);
      }
      socket.send(JSON.stringify({ messageType: "unregister", channelID: message.channelID, status: 200 }));
    } else if (type === "ack") {
      log({ event: "ack", updates: message.updates });
    } else if (type === "ping") {
      socket.send(JSON.stringify({ messageType: "ping" }));
    }
  });
  socket.on("close", () => {
    if (uaid && clients.get(uaid) === socket) clients.delete(uaid);
  });
});

http.listen(port, "127.0.0.1", () => {
  const bound = http.address().port;
  origin = `http://127.0.0.1:${bound}`;
  console.log(`push service listening on port ${bound}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
