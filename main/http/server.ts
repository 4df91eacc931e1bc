/**
 * Browser mode: the built renderer and the API over HTTP on 127.0.0.1, for Playwright and for
 * machines without an Electron binary. Plain node:http, no Electron import.
 *
 * Access control, in order: the Host header must name this server (DNS rebinding), a present
 * Origin must be this server (cross-site requests), pages need the per-launch token (from the
 * printed URL, then an HttpOnly cookie), API calls need it in a header (which a cross-origin
 * page cannot set without a CORS preflight this server never answers). The event stream
 * (GET eventsHttpPath, Server-Sent Events) takes the header or the cookie, because EventSource
 * cannot set headers; it only reads, and changes nothing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  api,
  decodeFrame,
  encodeFrame,
  eventsHttpPath,
  frameContentType,
  isMethodName,
  methodNames,
  tokenHeader,
  ApiError,
  type ApiHandlers,
  type Reply,
} from '../../preload/api.ts';
import { dispatch, failure } from '../ipc/dispatch.ts';
import type { EventHub } from '../services/events.ts';
import { mimeTypeOf, resolveRendererFile, securityHeaders } from '../window/security.ts';

export const bindHost = '127.0.0.1';
const tokenCookie = 'lesiondesk_token';
/** How long EventSource waits before it reconnects (the `retry:` field). */
const eventRetryMs = 2000;
/**
 * An event stream whose client stopped reading is ended past this much unsent data; its
 * EventSource reconnects and the page re-reads the state, instead of main buffering forever.
 */
const eventBacklogBytes = 1024 * 1024;

export interface BrowserServerOptions {
  handlers: ApiHandlers;
  /** Folder with the built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token, for tests; a random one per launch otherwise. */
  token?: string;
  /** Main's events, streamed on eventsHttpPath; without it that path answers 404. */
  events?: Pick<EventHub, 'subscribe'>;
  /** Comment line sent on an idle event stream, so proxies and the client see it alive. */
  eventHeartbeatMs?: number;
  log?: (message: string, error?: unknown) => void;
}

export interface BrowserServer {
  /** URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Start the browser-mode server; resolves once it listens. */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    handleRequest(req, res, options, token, port(), streams).catch((error: unknown) => {
      options.log?.('browser server: request failed', error);
      if (!res.headersSent) sendText(res, 500, 'Internal error.');
      else res.destroy();
    });
  });
  server.requestTimeout = 5 * 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `http://${bindHost}:${port()}/?token=${token}`,
    port: port(),
    token,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // End event streams cleanly (the client sees the end of the body, not a reset) before
      // dropping every connection that is left; a client that stopped reading gets a second.
      const ended = [...streams].map((res) => new Promise<void>((resolve) => res.end(resolve)));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(ended), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}

function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendReply(res: http.ServerResponse, reply: Reply): void {
  const status = reply.ok
    ? 200
    : // A refusal is the call's answer, carried fine: 200 (the browser logs every 4xx/5xx as a
      // failed resource). The caller's mistakes and faults keep their HTTP status.
      { refused: 200, 'invalid-args': 400, forbidden: 403, 'unknown-method': 404, failed: 500, unreachable: 502 }[reply.error.code];
  const body = encodeFrame(reply);
  res.writeHead(status, {
    ...securityHeaders,
    'Content-Type': frameContentType,
    'Content-Length': body.byteLength,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

async function handleRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: BrowserServerOptions,
  token: string,
  port: number,
  streams: Set<http.ServerResponse>,
): Promise<void> {
  const selfOrigins = [`http://${bindHost}:${port}`, `http://localhost:${port}`];
  const host = req.headers.host ?? '';
  if (!selfOrigins.some((o) => o === `http://${host}`)) {
    return sendText(res, 403, 'Forbidden: unexpected Host header.');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !selfOrigins.includes(origin)) {
    return sendText(res, 403, 'Forbidden: cross-origin request.');
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    return sendText(res, 403, 'Forbidden: cross-site request.');
  }
  const url = new URL(req.url ?? '/', `http://${host}`);

  if (url.pathname === eventsHttpPath) return handleEvents(req, res, options, token, streams);
  if (url.pathname.startsWith('/api/')) {
    if (req.method !== 'POST') return sendText(res, 405, 'API calls are POST requests.');
    if (!sameToken(req.headers[tokenHeader] as string | undefined, token)) {
      return sendText(res, 403, 'Forbidden: missing or wrong token.');
    }
    return handleApiCall(req, res, options, url.pathname.slice('/api/'.length));
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
  const queryToken = url.searchParams.get('token');
  if (queryToken !== null) {
    if (!sameToken(queryToken, token)) return sendText(res, 403, 'Forbidden: wrong token.');
    // Trade the token in the URL for a cookie, so it leaves the address bar and history.
    res.writeHead(303, {
      ...securityHeaders,
      'Set-Cookie': `${tokenCookie}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      Location: url.pathname,
      'Cache-Control': 'no-store',
    });
    return void res.end();
  }
  if (!sameToken(cookieValue(req.headers.cookie, tokenCookie), token)) {
    return sendText(res, 403, 'Forbidden: open the URL that `npm run serve` printed (it carries the token).');
  }
  return serveFile(res, options.rendererDir, url.pathname, token, req.method === 'HEAD');
}

async function serveFile(
  res: http.ServerResponse,
  rendererDir: string,
  urlPath: string,
  token: string,
  headOnly: boolean,
): Promise<void> {
  const file = resolveRendererFile(urlPath, rendererDir);
  if (!file) return sendText(res, 404, 'Not found.');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return sendText(res, 404, 'Not found.');
  }
  const type = mimeTypeOf(file);
  if (type.startsWith('text/html')) {
    // The page reads the token from here to sign its API calls.
    const meta = `<meta name="lesiondesk-token" content="${token}">`;
    body = Buffer.from(body.toString('utf8').replace('</head>', `${meta}</head>`));
  }
  res.writeHead(200, {
    ...securityHeaders,
    'Content-Type': type,
    'Content-Length': body.byteLength,
    'Cache-Control': type.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
  });
  res.end(headOnly ? undefined : body);
}

async function handleApiCall(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: BrowserServerOptions,
  method: string,
): Promise<void> {
  if (!isMethodName(method)) {
    req.resume();
    return sendReply(
      res,
      failure(new ApiError('unknown-method', `Unknown method "${method.slice(0, 64)}". Known methods: ${methodNames.join(', ')}.`), method),
    );
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (contentType !== frameContentType) {
    req.resume();
    return sendReply(res, failure(new ApiError('invalid-args', `Request body must be ${frameContentType}.`), method));
  }
  const maxBytes = api[method].maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.setHeader('Connection', 'close');
    sendText(res, 413, `Request body too large: the limit for ${method} is ${maxBytes} bytes.`);
    req.destroy();
    return;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).byteLength;
    if (total > maxBytes) {
      res.setHeader('Connection', 'close');
      sendText(res, 413, `Request body too large: the limit for ${method} is ${maxBytes} bytes.`);
      req.destroy();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  let args: unknown;
  try {
    args = decodeFrame(Buffer.concat(chunks, total));
  } catch (error) {
    return sendReply(res, failure(error, method));
  }
  sendReply(res, await dispatch(options.handlers, method, args, { log: options.log }));
}

/**
 * GET eventsHttpPath: Server-Sent Events, one `data: <ApiEvent JSON>` message per event, a
 * comment as heartbeat. Runs after the Host, Origin and sec-fetch-site checks of every request.
 */
function handleEvents(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: BrowserServerOptions,
  token: string,
  streams: Set<http.ServerResponse>,
): void {
  if (req.method !== 'GET') return sendText(res, 405, 'The event stream is a GET request.');
  const byHeader = sameToken(req.headers[tokenHeader] as string | undefined, token);
  // The cookie alone is taken only from this server's own pages: a page on another port of
  // 127.0.0.1 is same-site, so the browser would send it the cookie too.
  const site = req.headers['sec-fetch-site'];
  const byCookie =
    (site === undefined || site === 'same-origin') && sameToken(cookieValue(req.headers.cookie, tokenCookie), token);
  if (!byHeader && !byCookie) return sendText(res, 403, 'Forbidden: missing or wrong token.');
  if (!options.events) return sendText(res, 404, 'This server sends no events.');

  res.writeHead(200, {
    ...securityHeaders,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.write(`retry: ${eventRetryMs}\n: connected\n\n`);
  streams.add(res);
  const send = (chunk: string) => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > eventBacklogBytes) {
      options.log?.('browser server: an event stream fell behind; ending it');
      return void res.end();
    }
    res.write(chunk);
  };
  // JSON.stringify escapes every newline, so one event is always one `data:` line.
  const unsubscribe = options.events.subscribe((event) => send(`data: ${JSON.stringify(event)}\n\n`));
  const heartbeat = setInterval(() => send(': heartbeat\n\n'), options.eventHeartbeatMs ?? 15_000);
  res.once('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
  });
}
