import { describe, expect, it, vi } from 'vitest';
import { createShellHandlers } from './shell-handlers.ts';

describe('shell handlers', () => {
  const opened = async (url: string) => {
    const openExternal = vi.fn(async (_href: string) => {});
    await createShellHandlers({ version: '1.0.0', transport: 'ipc', openExternal }).openExternal({ url });
    expect(openExternal).toHaveBeenCalledTimes(1);
    return openExternal.mock.calls[0]![0];
  };

  it('hands the OS the normalised href of the URL the contract checked', async () => {
    expect(await opened('https://EXAMPLE.org/x y')).toBe('https://example.org/x%20y');
  });

  it('passes the href, not the raw string, for odd characters and a unicode host', async () => {
    // The raw strings differ from what a URL parser sees; the OS gets the parser's reading.
    expect(await opened('https://bücher.example/ä ö?q=a b#frag ment')).toBe('https://xn--bcher-kva.example/%C3%A4%20%C3%B6?q=a%20b#frag%20ment');
    expect(await opened('  https://example.org/a\tb\n  ')).toBe('https://example.org/ab');
    expect(await opened('https://example.org/a/../b/"<x>"')).toBe('https://example.org/b/%22%3Cx%3E%22');
    expect(await opened('https:\\\\example.org\\docs')).toBe('https://example.org/docs');
  });

  it('refuses anything but an absolute http(s) URL, whoever calls it', async () => {
    const openExternal = vi.fn(async () => {});
    const handlers = createShellHandlers({ version: '1.0.0', transport: 'ipc', openExternal });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', '/relative', 'not a url']) {
      await expect(handlers.openExternal({ url }), url).rejects.toThrow(/Only absolute http\(s\) links/);
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('says that browser mode opens links itself', async () => {
    const handlers = createShellHandlers({ version: '1.0.0', transport: 'http' });
    await expect(handlers.openExternal({ url: 'https://example.org/' })).rejects.toThrow(/done by the browser in browser mode/);
  });
});
