import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  ApiError,
  api,
  channelOf,
  createClient,
  createHttpEventSubscribe,
  decodeFrame,
  encodeFrame,
  isExternalWebUrl,
  limits,
  methodNames,
  parseArgs,
  serviceMethodNames,
  unwrapReply,
  type ApiEvent,
  type EventStream,
  type ServiceHandlers,
  type ShellHandlers,
} from './api.ts';

const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

function hugeBytes(byteLength: number): Uint8Array {
  // A real 512 MB array would dominate the test run; the schema only reads byteLength.
  const bytes = new Uint8Array(1);
  Object.defineProperty(bytes, 'byteLength', { value: byteLength });
  return bytes;
}

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('contract methods', () => {
  it('lists every method once, each with its own channel', () => {
    expect(methodNames).toEqual([
      'segmentImage',
      'getModelInfo',
      'listModels',
      'getAppInfo',
      'openExternal',
      'listModelVersions',
      'activateModelVersion',
      'rollbackModel',
      'deleteModelVersion',
      'trainingPreflight',
      'createTrainingJob',
      'addTrainingPairs',
      'startTrainingJob',
      'cancelTrainingJob',
      'getTrainingStatus',
      'getModelEvidence',
      'getEvidenceCase',
      'getCaseProvenance',
      'refineRegion',
    ]);
    expect(new Set(methodNames.map(channelOf)).size).toBe(methodNames.length);
  });

  it('says who implements each method in the one list: the services and the shell share none', () => {
    const shell = methodNames.filter((m) => api[m].by === 'shell');
    expect(shell).toEqual(['getAppInfo', 'openExternal']);
    expect(serviceMethodNames).toEqual(methodNames.filter((m) => !shell.includes(m)));
    // The handler types follow from the same field (checked by tsc).
    expectTypeOf<keyof ShellHandlers>().toEqualTypeOf<'getAppInfo' | 'openExternal'>();
    expectTypeOf<keyof ServiceHandlers>().toEqualTypeOf<(typeof serviceMethodNames)[number]>();
  });

  it('rejects unknown methods and prototype names with the list of known ones', () => {
    for (const name of ['deleteEverything', 'toString', '__proto__', 'constructor']) {
      const error = errorOf(() => parseArgs(name, undefined));
      expect(error.code).toBe('unknown-method');
      expect(error.message).toContain(`Unknown method "${name}"`);
      expect(error.message).toContain('segmentImage');
    }
  });
});

describe('segmentImage arguments', () => {
  it('accepts a well-formed call', () => {
    const args = parseArgs('segmentImage', { bytes: jpeg, fileName: 'a.jpg', tta: true, threshold: 0.4 });
    expect(args).toMatchObject({ fileName: 'a.jpg', tta: true, threshold: 0.4 });
  });

  it('names the field and the problem for wrong types', () => {
    const error = errorOf(() => parseArgs('segmentImage', { bytes: 'base64...', fileName: 42 }));
    expect(error.code).toBe('invalid-args');
    expect(error.message).toMatch(/^Invalid arguments for segmentImage: /);
    expect(error.message).toContain('bytes: expected a Uint8Array');
    expect(error.message).toMatch(/fileName: .*expected string/);
  });

  it('refuses a Float32Array or plain array in place of bytes', () => {
    expect(() => parseArgs('segmentImage', { bytes: new Float32Array(4), fileName: 'a' })).toThrow(/bytes: expected a Uint8Array/);
    expect(() => parseArgs('segmentImage', { bytes: [1, 2, 3], fileName: 'a' })).toThrow(/bytes: expected a Uint8Array/);
  });

  it('refuses images over the size limit and empty ones', () => {
    const big = errorOf(() => parseArgs('segmentImage', { bytes: hugeBytes(limits.imageBytes + 1), fileName: 'big.jpg' }));
    expect(big.message).toContain('bytes: exceeds the limit of 512 MB');
    expect(() => parseArgs('segmentImage', { bytes: new Uint8Array(0), fileName: 'e.jpg' })).toThrow(/must not be empty/);
  });

  it('refuses over-long file names, bad thresholds and extra fields', () => {
    expect(() => parseArgs('segmentImage', { bytes: jpeg, fileName: 'x'.repeat(limits.fileNameLength + 1) })).toThrow(/fileName/);
    for (const threshold of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => parseArgs('segmentImage', { bytes: jpeg, fileName: 'a', threshold })).toThrow(/threshold/);
    }
    expect(() => parseArgs('segmentImage', { bytes: jpeg, fileName: 'a', path: '/etc/passwd' })).toThrow(/path/);
  });

  it('takes an optional priority, interactive or background, and names a wrong one', () => {
    expect(parseArgs('segmentImage', { bytes: jpeg, fileName: 'a', priority: 'background' })).toMatchObject({ priority: 'background' });
    expect(parseArgs('segmentImage', { bytes: jpeg, fileName: 'a' })).not.toHaveProperty('priority');
    for (const priority of ['urgent', 1, null]) {
      expect(() => parseArgs('segmentImage', { bytes: jpeg, fileName: 'a', priority })).toThrow(/priority/);
    }
  });

  it('refuses a missing argument object', () => {
    expect(() => parseArgs('segmentImage', undefined)).toThrow(/Invalid arguments for segmentImage/);
  });
});

describe('refineRegion arguments', () => {
  const image = new Uint8Array(256 * 256 * 3);
  const click = { u: 10, v: 255.5, positive: true };

  it('accepts a crop, up to 20 grid clicks and a 0/1 previous mask or none', () => {
    expect(parseArgs<'refineRegion'>('refineRegion', { image, clicks: [click], prev: null }).clicks).toEqual([click]);
    const prev = new Uint8Array(65536).fill(1);
    expect(parseArgs<'refineRegion'>('refineRegion', { image, clicks: Array(20).fill(click), prev }).prev).toBe(prev);
  });

  it('names a crop or mask of the wrong size, too many clicks, a click off the grid and a mask that is not 0/1', () => {
    const message = (args: unknown) => errorOf(() => parseArgs('refineRegion', args)).message;
    expect(message({ image: new Uint8Array(256 * 256 * 4), clicks: [], prev: null })).toMatch(/image: must be the 256x256 RGB crop .*exactly 196608 bytes/);
    expect(message({ image, clicks: [], prev: new Uint8Array(100) })).toMatch(/prev: must be a 256x256 mask: exactly 65536 bytes/);
    expect(message({ image, clicks: Array(21).fill(click), prev: null })).toMatch(/clicks: at most 20 clicks per step/);
    expect(message({ image, clicks: [{ u: 256, v: 0, positive: true }], prev: null })).toMatch(/clicks\.0\.u/);
    expect(message({ image, clicks: [], prev: new Uint8Array(65536).fill(255) })).toMatch(/prev: must hold only 0 and 1/);
    expect(message({ image, clicks: [] })).toMatch(/prev/);
  });
});

describe('other methods', () => {
  it('no-argument methods refuse arguments', () => {
    expect(parseArgs('getModelInfo', undefined)).toBeUndefined();
    expect(() => parseArgs('getModelInfo', { sneaky: true })).toThrow(/takes no arguments/);
  });

  it('openExternal accepts only absolute http(s) URLs', () => {
    expect(parseArgs('openExternal', { url: 'https://isic-archive.com/' })).toEqual({ url: 'https://isic-archive.com/' });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'app://lesiondesk/index.html', '/relative', 'smb://host/share']) {
      expect(() => parseArgs('openExternal', { url })).toThrow(/absolute http\(s\) URL/);
    }
    expect(() => parseArgs('openExternal', { url: `https://a.example/${'x'.repeat(limits.urlLength)}` })).toThrow(/url/);
    expect(isExternalWebUrl('http://localhost:8080/x')).toBe(true);
  });

  it('segmentImage results must have a prob map matching its size', () => {
    const result = {
      width: 4,
      height: 3,
      maskPng: new Uint8Array([137, 80, 78, 71]),
      probWidth: 2,
      probHeight: 2,
      prob: new Float32Array(3),
      outline: [[0, 0, 1, 0, 1, 1]],
      lesionAreaPx: 2,
      uncertainty: 0.1,
      timings: { decodeMs: 1, inferMs: 2, postMs: 3, totalMs: 6 },
      model: { name: 'm', version: '1.0.0' },
      provider: 'cpu',
    };
    expect(api.segmentImage.result.safeParse(result).success).toBe(false);
    expect(api.segmentImage.result.safeParse({ ...result, prob: new Float32Array(4) }).success).toBe(true);
    expect(api.segmentImage.result.safeParse({ ...result, prob: new Float32Array(4), outline: [[0, 0, 1]] }).success).toBe(false);
  });
});

describe('HTTP frames', () => {
  it('round-trips typed arrays as binary, not base64', () => {
    const prob = new Float32Array([0.25, 0.5, 0.75]);
    const value = { ok: true, value: { a: 1, nested: [{ bytes: jpeg }], prob, text: 'é' } };
    const frame = encodeFrame(value);
    // The JSON header holds references; the blobs follow raw.
    expect(new TextDecoder().decode(frame)).not.toContain('/9j/');
    const decoded = decodeFrame(frame) as typeof value;
    expect(decoded.value.prob).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded.value.prob)).toEqual([0.25, 0.5, 0.75]);
    expect(decoded.value.nested[0]!.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.value.nested[0]!.bytes)).toEqual(Array.from(jpeg));
    expect(decoded.value.text).toBe('é');
  });

  it('handles unaligned views and absent arguments', () => {
    const base = new Uint8Array(64);
    const view = new Float32Array(base.buffer, 4, 3);
    view.set([1, 2, 3]);
    expect(Array.from((decodeFrame(encodeFrame({ v: view, u: base.subarray(3, 6) })) as { v: Float32Array }).v)).toEqual([1, 2, 3]);
    expect(decodeFrame(encodeFrame(undefined))).toBeUndefined();
  });

  it('rejects malformed frames with a clear message', () => {
    expect(() => decodeFrame(new TextEncoder().encode('{"fileName":"a"}'))).toThrow(/not a LesionDesk frame/);
    const frame = encodeFrame({ b: jpeg });
    expect(() => decodeFrame(frame.subarray(0, frame.length - 4))).toThrow(/blob out of bounds/);
    const lying = frame.slice();
    new DataView(lying.buffer).setUint32(4, 0xffffffff, true);
    expect(() => decodeFrame(lying)).toThrow(/header length/);
    const badJson = encodeFrame({ x: 1 });
    badJson[8] = 0x7b + 1;
    expect(() => decodeFrame(badJson)).toThrow(/not valid JSON/);
  });

  it('refuses __proto__ keys and dangling blob references', () => {
    const header = new TextEncoder().encode('{"body":{"__proto__":{"polluted":1}},"blobs":[]}');
    const frame = new Uint8Array(8 + header.length);
    frame.set([0x4c, 0x44, 0x4b, 0x31]);
    new DataView(frame.buffer).setUint32(4, header.length, true);
    frame.set(header, 8);
    expect(() => decodeFrame(frame)).toThrow(/__proto__/);
    const dangling = new TextEncoder().encode('{"body":{"$blob":3},"blobs":[]}');
    const f2 = new Uint8Array(8 + dangling.length);
    f2.set([0x4c, 0x44, 0x4b, 0x31]);
    new DataView(f2.buffer).setUint32(4, dangling.length, true);
    f2.set(dangling, 8);
    expect(() => decodeFrame(f2)).toThrow(/blob reference/);
  });
});

describe('client', () => {
  it('exposes exactly the contract methods and unwraps replies', async () => {
    const calls: [string, unknown][] = [];
    const client = createClient(async (method, args) => {
      calls.push([method, args]);
      return method === 'getAppInfo'
        ? { ok: true, value: { version: '1', platform: 'linux-x64', transport: 'http' } }
        : { ok: false, error: { code: 'invalid-args', message: 'Invalid arguments for listModels: nope.' } };
    });
    expect(Object.keys(client).sort()).toEqual([...methodNames, 'onEvent'].sort());
    expect(Object.isFrozen(client)).toBe(true);
    await expect(client.getAppInfo()).resolves.toMatchObject({ transport: 'http' });
    await expect(client.listModels()).rejects.toThrow('Invalid arguments for listModels: nope.');
    expect(calls).toEqual([
      ['getAppInfo', undefined],
      ['listModels', undefined],
    ]);
    expect(() => unwrapReply('garbage')).toThrow(/unknown format/);
  });
});

const changed: ApiEvent = { type: 'active-model-changed', active: 'scsonet-isic2017@1.1.0', previous: null };

describe('client events', () => {
  it('onEvent is the transport subscribe, and a transport without events says so', () => {
    const unsubscribe = () => {};
    const subscribe = vi.fn(() => unsubscribe);
    const client = createClient(async () => ({ ok: true, value: undefined }), subscribe);
    const listener = () => {};
    expect(client.onEvent(listener)).toBe(unsubscribe);
    expect(subscribe).toHaveBeenCalledWith(listener);
    const silent = createClient(async () => ({ ok: true, value: undefined }));
    expect(() => silent.onEvent(listener)).toThrow(/carries no events/);
  });
});

describe('HTTP event client', () => {
  /** EventSource stand-ins, one per stream the client opens. */
  function streams() {
    const opened: { url: string; closed: boolean; emit(data: unknown): void }[] = [];
    const open = (url: string): EventStream => {
      const listeners: ((message: { data: unknown }) => void)[] = [];
      const stream = {
        url,
        closed: false,
        emit: (data: unknown) => listeners.forEach((l) => l({ data })),
      };
      opened.push(stream);
      return {
        addEventListener: (_type, listener) => void listeners.push(listener),
        close: () => void (stream.closed = true),
      };
    };
    return { opened, open };
  }

  it('shares one stream among listeners: opened by the first, closed after the last', () => {
    const { opened, open } = streams();
    const subscribe = createHttpEventSubscribe('http://127.0.0.1:5000', open);
    expect(opened).toHaveLength(0);
    const a = vi.fn();
    const b = vi.fn();
    const stopA = subscribe(a);
    const stopB = subscribe(b);
    expect(opened.map((s) => s.url)).toEqual(['http://127.0.0.1:5000/api/events']);

    opened[0]!.emit(JSON.stringify(changed));
    expect(a.mock.calls).toEqual([[changed]]);
    expect(b.mock.calls).toEqual([[changed]]);

    stopA();
    stopA();
    expect(opened[0]!.closed).toBe(false);
    opened[0]!.emit(JSON.stringify(changed));
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
    stopB();
    expect(opened[0]!.closed).toBe(true);

    // A later subscriber opens a fresh stream.
    const stopC = subscribe(a);
    expect(opened).toHaveLength(2);
    expect(opened[1]!.closed).toBe(false);
    stopC();
    expect(opened[1]!.closed).toBe(true);
  });

  it('drops messages that are not JSON or break the contract', () => {
    const { opened, open } = streams();
    const listener = vi.fn();
    createHttpEventSubscribe('', open)(listener);
    for (const bad of ['not json', '', 'null', '{"type":"job-ended"}', JSON.stringify({ ...changed, extra: 1 }), undefined]) {
      opened[0]!.emit(bad);
    }
    expect(listener).not.toHaveBeenCalled();
    opened[0]!.emit(JSON.stringify(changed));
    expect(listener).toHaveBeenCalledWith(changed);
  });

  it('keeps each subscription separate, even of the same listener', () => {
    const { opened, open } = streams();
    const subscribe = createHttpEventSubscribe('', open);
    const listener = vi.fn();
    const first = subscribe(listener);
    subscribe(listener);
    opened[0]!.emit(JSON.stringify(changed));
    expect(listener).toHaveBeenCalledTimes(2);
    first();
    opened[0]!.emit(JSON.stringify(changed));
    expect(listener).toHaveBeenCalledTimes(3);
    expect(opened[0]!.closed).toBe(false);
  });
});

describe('event delivery', () => {
  it('a listener that throws does not keep the event from the others; its error is rethrown apart', () => {
    const rethrown: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => rethrown.push(task));
    try {
      const listeners: ((message: { data: unknown }) => void)[] = [];
      const subscribe = createHttpEventSubscribe('', () => ({
        addEventListener: (_type, listener) => void listeners.push(listener),
        close: () => {},
      }));
      const after = vi.fn();
      subscribe(() => {
        throw new Error('listener bug');
      });
      subscribe(after);
      listeners[0]!({ data: JSON.stringify(changed) });
      expect(after).toHaveBeenCalledWith(changed);
      expect(rethrown).toHaveLength(1);
      expect(rethrown[0]!).toThrow('listener bug');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
