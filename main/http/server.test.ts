import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  createHttpInvoke,
  decodeFrame,
  encodeFrame,
  eventsHttpPath,
  frameContentType,
  methodNames,
  tokenHeader,
  type ApiEvent,
  type ApiEventListener,
  type ApiHandlers,
  type SegmentImageResult,
} from '../../preload/api.ts';
import { ImageDecodeError } from '../services/errors.ts';
import { createEventHub } from '../services/events.ts';
import { startBrowserServer, type BrowserServer } from './server.ts';

const token = 'test-token-0123456789';
let server: BrowserServer;
let rendererDir: string;
let lastSegmentArgs: unknown;

const unused = async (): Promise<never> => {
  throw new Error('not used in this test');
};

const handlers: ApiHandlers = {
  // Every method of the contract, so a new one needs no change here.
  ...(Object.fromEntries(methodNames.map((m) => [m, unused])) as unknown as ApiHandlers),
  segmentImage: async (args) => {
    lastSegmentArgs = args;
    const result: SegmentImageResult = {
      width: 3,
      height: 2,
      maskPng: new Uint8Array([137, 80, 78, 71]),
      probWidth: 2,
      probHeight: 2,
      prob: new Float32Array([0.1, 0.9, 0.5, 0.25]),
      outline: [[0, 0, 2, 0, 2, 1]],
      lesionAreaPx: 3,
      uncertainty: 0.2,
      timings: { decodeMs: 1, inferMs: 2, postMs: 1, totalMs: 4 },
      model: { name: 'scsonet-test', version: '0.0.1' },
      provider: 'cpu',
    };
    return result;
  },
  getModelInfo: async () => {
    throw new Error('No model found in /nowhere.');
  },
  listModels: async () => [],
  // Echoes the crop's first byte and the click count, so the test sees the blobs crossed intact.
  refineRegion: async (args) => ({
    prob: new Uint8Array(256 * 256).fill(args.image[0] ?? 0).fill(args.clicks.length, 0, 1),
    threshold: 0.5,
    model: { name: 'scsonet-interactive-test', version: '0.0.1' },
    inferMs: 3,
  }),
  getAppInfo: async () => ({ version: '0.1.0', platform: 'linux-x64', transport: 'http' }),
  openExternal: async () => undefined,
};

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  pathName: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Uint8Array } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: pathName,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${server.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function apiCall(method: string, args: unknown, headers: Record<string, string | number> = {}) {
  return request(`/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': frameContentType, [tokenHeader]: token, ...headers },
    body: encodeFrame(args),
  });
}

/** The hub, counting live subscriptions so a test can see a stream subscribe and let go. */
const hub = createEventHub();
const subscribed = new Set<ApiEventListener>();
let subscribeCalls = 0;
const events = {
  subscribe(listener: ApiEventListener) {
    subscribeCalls++;
    const unsubscribe = hub.subscribe(listener);
    subscribed.add(listener);
    return () => {
      subscribed.delete(listener);
      unsubscribe();
    };
  },
};

interface EventStreamClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Resolves with everything received once the received text matches. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves when the server ends the response (or the connection goes). */
  ended: Promise<void>;
  /** True once the whole response arrived: the server ended it, the connection did not just drop. */
  complete(): boolean;
  close(): void;
}

/** GET the event stream with node:http and collect what arrives. */
function openEvents(headers: Record<string, string> = {}, port = server.port): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: eventsHttpPath, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        const waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
        const check = () => {
          for (const w of [...waiters]) {
            if (!w.pattern.test(text)) continue;
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(text);
          }
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          check();
        });
        const ended = new Promise<void>((done) => {
          res.once('end', done);
          res.once('close', done);
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          waitFor: (pattern) =>
            new Promise((done, fail) => {
              waiters.push({ pattern, resolve: done });
              check();
              setTimeout(() => fail(new Error(`no ${pattern} in ${JSON.stringify(text)}`)), 5000).unref();
            }),
          ended,
          complete: () => res.complete,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The `data:` payloads of a stream, parsed. */
function dataOf(text: string): unknown[] {
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
}

const modelChanged: ApiEvent = { type: 'active-model-changed', active: 'scsonet-isic2017@1.1.0', previous: 'scsonet-isic2017@1.0.0' };

beforeAll(async () => {
  rendererDir = mkdtempSync(path.join(tmpdir(), 'lesiondesk-renderer-'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
  server = await startBrowserServer({ handlers, rendererDir, token, events });
});

afterAll(async () => {
  await server.close();
  rmSync(rendererDir, { recursive: true, force: true });
});

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${token}`);
  });

  it('makes a fresh random token per launch when none is given', async () => {
    const a = await startBrowserServer({ handlers, rendererDir });
    const b = await startBrowserServer({ handlers, rendererDir });
    try {
      expect(a.token).not.toBe(b.token);
      expect(a.token.length).toBeGreaterThanOrEqual(32);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses pages without the token', async () => {
    const res = await request('/');
    expect(res.status).toBe(403);
    expect(res.body.toString()).toMatch(/npm run serve/);
    expect((await request('/?token=wrong')).status).toBe(403);
  });

  it('trades the URL token for an HttpOnly cookie and serves the page with it', async () => {
    const first = await request(`/?token=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await request('/', { headers: { cookie: `lesiondesk_token=${token}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body.toString()).toContain(`<meta name="lesiondesk-token" content="${token}">`);
  });

  it('refuses foreign Host headers (DNS rebinding) and cross-origin calls', async () => {
    const rebinding = await request(`/?token=${token}`, { headers: { host: `evil.example:${server.port}` } });
    expect(rebinding.status).toBe(403);
    const crossOrigin = await apiCall('getAppInfo', undefined, { origin: 'https://evil.example' });
    expect(crossOrigin.status).toBe(403);
    const crossSite = await apiCall('getAppInfo', undefined, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
  });

  it('refuses API calls without the token header, even with the cookie', async () => {
    const res = await request('/api/getAppInfo', {
      method: 'POST',
      headers: { 'content-type': frameContentType, cookie: `lesiondesk_token=${token}` },
      body: encodeFrame(undefined),
    });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toMatch(/token/);
  });

  it('answers unknown methods, bad bodies and wrong types with clear messages', async () => {
    const unknown = await apiCall('rm', undefined);
    expect(unknown.status).toBe(404);
    expect(decodeFrame(unknown.body)).toMatchObject({ ok: false, error: { code: 'unknown-method' } });

    const json = await request('/api/getAppInfo', {
      method: 'POST',
      headers: { 'content-type': frameContentType, [tokenHeader]: token },
      body: new TextEncoder().encode('{not json'),
    });
    expect(json.status).toBe(400);
    expect(decodeFrame(json.body)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Malformed request body/) } });

    const wrongType = await request('/api/getAppInfo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [tokenHeader]: token },
      body: new TextEncoder().encode('{}'),
    });
    expect(wrongType.status).toBe(400);

    const badArgs = await apiCall('segmentImage', { bytes: 'aGVsbG8=', fileName: 'x.jpg' });
    expect(badArgs.status).toBe(400);
    expect(decodeFrame(badArgs.body)).toMatchObject({
      ok: false,
      error: { code: 'invalid-args', message: expect.stringContaining('bytes: expected a Uint8Array') },
    });
  });

  it('answers a refusal (a corrupt image) with 200 and the reason, a fault with 500', async () => {
    const refusing = await startBrowserServer({
      handlers: {
        ...handlers,
        segmentImage: async () => {
          throw new ImageDecodeError('broken.jpg could not be read as an image.');
        },
      },
      rendererDir,
      events: createEventHub(),
    });
    try {
      const call = (method: string, args: unknown) =>
        fetch(`http://127.0.0.1:${refusing.port}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': frameContentType, [tokenHeader]: refusing.token },
          body: encodeFrame(args) as Uint8Array<ArrayBuffer>,
        });
      const refused = await call('segmentImage', { bytes: new Uint8Array([1, 2, 3]), fileName: 'broken.jpg' });
      expect(refused.status).toBe(200);
      expect(decodeFrame(new Uint8Array(await refused.arrayBuffer()))).toEqual({ ok: false, error: { code: 'refused', message: 'broken.jpg could not be read as an image.' } });
      const fault = await call('getModelInfo', undefined);
      expect(fault.status).toBe(500);
      expect(decodeFrame(new Uint8Array(await fault.arrayBuffer()))).toMatchObject({ ok: false, error: { code: 'failed' } });
    } finally {
      await refusing.close();
    }
  });

  it('refuses bodies over the method limit before reading them', async () => {
    const res = await request('/api/getAppInfo', {
      method: 'POST',
      headers: { 'content-type': frameContentType, [tokenHeader]: token, 'content-length': 2 * 1024 * 1024 },
    });
    expect(res.status).toBe(413);
    expect(res.body.toString()).toMatch(/too large/);
  });

  it('only serves files from the renderer folder', async () => {
    const cookie = { cookie: `lesiondesk_token=${token}` };
    expect((await request('/../../../etc/passwd', { headers: cookie })).status).toBe(404);
    expect((await request('/%2e%2e/%2e%2e/etc/passwd', { headers: cookie })).status).toBe(404);
    expect((await request('/', { method: 'DELETE', headers: cookie })).status).toBe(405);
  });

  it('carries the whole contract through the generated HTTP client, binary intact', async () => {
    const client = createClient(createHttpInvoke(token, `http://127.0.0.1:${server.port}`));
    await expect(client.getAppInfo()).resolves.toEqual({ version: '0.1.0', platform: 'linux-x64', transport: 'http' });
    await expect(client.getModelInfo()).rejects.toThrow('No model found in /nowhere.');
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const result = await client.segmentImage({ bytes, fileName: 'lesion.jpg', tta: true });
    expect(result.prob).toBeInstanceOf(Float32Array);
    expect(Array.from(result.prob)).toEqual([0.1, 0.9, 0.5, 0.25].map(Math.fround));
    expect(result.maskPng).toBeInstanceOf(Uint8Array);
    expect(lastSegmentArgs).toMatchObject({ fileName: 'lesion.jpg', tta: true });
    expect(Array.from((lastSegmentArgs as { bytes: Uint8Array }).bytes)).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    const refined = await client.refineRegion({ image: new Uint8Array(256 * 256 * 3).fill(7), clicks: [{ u: 1, v: 2, positive: true }], prev: new Uint8Array(256 * 256) });
    expect([refined.prob[0], refined.prob[65535], refined.prob.length]).toEqual([1, 7, 65536]);
    await expect(client.refineRegion({ image: new Uint8Array(10), clicks: [], prev: null })).rejects.toThrow(/image: must be the 256x256 RGB crop/);
  });
});

describe('browser-mode event stream', () => {
  it('streams each hub event as one Server-Sent Events message to a client with the token', async () => {
    const stream = await openEvents({ [tokenHeader]: token });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(await stream.waitFor(/\n\n/)).toMatch(/^retry: \d+\n/);
    await vi.waitFor(() => expect(subscribed.size).toBe(1));

    hub.publish(modelChanged);
    const second: ApiEvent = { ...modelChanged, active: null };
    hub.publish(second);
    const text = await stream.waitFor(/"active":null.*\n\n/);
    expect(dataOf(text)).toEqual([modelChanged, second]);

    stream.close();
    await vi.waitFor(() => expect(subscribed.size).toBe(0));
  });

  it("takes the page's HttpOnly cookie from the page's own origin (EventSource cannot set headers)", async () => {
    const cookie = `lesiondesk_token=${token}`;
    const stream = await openEvents({ cookie, 'sec-fetch-site': 'same-origin' });
    expect(stream.status).toBe(200);
    await vi.waitFor(() => expect(subscribed.size).toBe(1));
    hub.publish(modelChanged);
    expect(dataOf(await stream.waitFor(/data: .*\n\n/))).toEqual([modelChanged]);
    stream.close();
    await vi.waitFor(() => expect(subscribed.size).toBe(0));
  });

  it('refuses streams without the token, from other origins and hosts, and never subscribes them', async () => {
    const before = subscribeCalls;
    const cookie = `lesiondesk_token=${token}`;
    const refused: Record<string, string>[] = [
      {},
      { [tokenHeader]: 'wrong' },
      { cookie: 'lesiondesk_token=wrong' },
      // Another port of 127.0.0.1 is same-site: the browser sends it the cookie too.
      { cookie, 'sec-fetch-site': 'same-site' },
      { [tokenHeader]: token, origin: 'https://evil.example' },
      { cookie, origin: `http://127.0.0.1:${server.port + 1}` },
      { [tokenHeader]: token, 'sec-fetch-site': 'cross-site' },
      { [tokenHeader]: token, host: `evil.example:${server.port}` },
    ];
    for (const headers of refused) {
      const stream = await openEvents(headers);
      expect(stream.status, JSON.stringify(headers)).toBe(403);
      await stream.ended;
    }
    const post = await request(eventsHttpPath, { method: 'POST', headers: { [tokenHeader]: token } });
    expect(post.status).toBe(405);
    expect(subscribeCalls).toBe(before);
    expect(subscribed.size).toBe(0);
  });

  it('sends a comment as heartbeat on an idle stream', async () => {
    const quick = await startBrowserServer({ handlers, rendererDir, token, events, eventHeartbeatMs: 20 });
    try {
      const stream = await openEvents({ [tokenHeader]: token }, quick.port);
      const text = await stream.waitFor(/: heartbeat\n\n: heartbeat\n\n/);
      expect(dataOf(text)).toEqual([]);
      stream.close();
    } finally {
      await quick.close();
    }
    await vi.waitFor(() => expect(subscribed.size).toBe(0));
  });

  it('close() ends open streams and lets go of the hub', async () => {
    const other = await startBrowserServer({ handlers, rendererDir, token, events });
    const streams = [await openEvents({ [tokenHeader]: token }, other.port), await openEvents({ [tokenHeader]: token }, other.port)];
    await vi.waitFor(() => expect(subscribed.size).toBe(2));
    await other.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(streams.map((s) => s.complete())).toEqual([true, true]);
    expect(subscribed.size).toBe(0);
  });

  it('answers 404 when the server was started without events', async () => {
    const silent = await startBrowserServer({ handlers, rendererDir, token });
    try {
      const stream = await openEvents({ [tokenHeader]: token }, silent.port);
      expect(stream.status).toBe(404);
    } finally {
      await silent.close();
    }
  });
});
