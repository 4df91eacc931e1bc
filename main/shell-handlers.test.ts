import { describe, expect, it, vi } from 'vitest';
import { createShellHandlers } from './shell-handlers.ts';

describe('shell handlers', () => {
  it('hands the OS the normalised href of the URL the contract checked', async () => {
    const openExternal = vi.fn(async () => {});
    const handlers = createShellHandlers({ version: '1.0.0', transport: 'ipc', openExternal });
    await handlers.openExternal({ url: 'https://EXAMPLE.org/x y' });
    expect(openExternal).toHaveBeenCalledWith('https://example.org/x%20y');
  });

  it('says that browser mode opens links itself', async () => {
    const handlers = createShellHandlers({ version: '1.0.0', transport: 'http' });
    await expect(handlers.openExternal({ url: 'https://example.org/' })).rejects.toThrow(/done by the browser in browser mode/);
  });
});
