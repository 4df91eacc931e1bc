import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appEntryUrl,
  contentSecurityPolicy,
  ipcSenderProblem,
  isTrustedSender,
  mainWindowOptions,
  mimeTypeOf,
  resolveAppFile,
  resolveRendererFile,
  securityHeaders,
} from './security.ts';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

describe('BrowserWindow options', () => {
  const prefs = mainWindowOptions('/app/out/preload/index.cjs').webPreferences;

  it('keeps DevTools off unless the shell asks (it does only when not packaged)', () => {
    expect(prefs.devTools).toBe(false);
    expect(mainWindowOptions('/p.cjs', { devTools: true }).webPreferences.devTools).toBe(true);
  });

  it('isolates and sandboxes the renderer', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
  });

  it('loads the bundled CommonJS preload', () => {
    expect(prefs.preload).toBe('/app/out/preload/index.cjs');
  });

  it('starts from the app:// origin, not file://', () => {
    expect(appEntryUrl).toBe('app://lesiondesk/index.html');
  });
});

describe('Content-Security-Policy', () => {
  const csp = directives(contentSecurityPolicy);

  it('allows only the app itself to run scripts and connect', () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('img-src')).toEqual(["'self'", 'blob:', 'data:']);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('has no unsafe sources and no remote hosts', () => {
    expect(contentSecurityPolicy).not.toMatch(/unsafe-(inline|eval|hashes)|https?:|\*/);
  });

  it('is sent with every response together with nosniff', () => {
    expect(securityHeaders['Content-Security-Policy']).toBe(contentSecurityPolicy);
    expect(securityHeaders['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('IPC sender checks', () => {
  it('trusts only app://lesiondesk', () => {
    expect(isTrustedSender('app://lesiondesk/index.html')).toBe(true);
    expect(isTrustedSender('app://lesiondesk/')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://lesiondesk.evil.com/',
      'https://lesiondesk/',
      'file:///work/out/renderer/index.html',
      'http://127.0.0.1:5173/',
      'about:blank',
      '',
      'not a url',
      undefined,
      null,
    ]) {
      expect(isTrustedSender(url), String(url)).toBe(false);
    }
  });

  it('trusts a dev server origin only when the caller adds it', () => {
    expect(isTrustedSender('http://localhost:5173/', ['http://localhost:5173'])).toBe(true);
    expect(isTrustedSender('http://localhost:5174/', ['http://localhost:5173'])).toBe(false);
  });

  it('drops calls from sub-frames and foreign pages, with a reason', () => {
    expect(ipcSenderProblem({ frameUrl: 'app://lesiondesk/index.html', isMainFrame: true })).toBeNull();
    expect(ipcSenderProblem({ frameUrl: 'app://lesiondesk/index.html', isMainFrame: false })).toMatch(/sub-frames/);
    expect(ipcSenderProblem({ frameUrl: 'https://evil.example/', isMainFrame: true })).toMatch(/evil\.example.*not accepted/);
    expect(ipcSenderProblem({ frameUrl: undefined, isMainFrame: true })).toMatch(/unknown page/);
  });
});

describe('app:// file mapping', () => {
  const root = path.resolve('/srv/app/out/renderer');

  it('maps the app host to files under the renderer folder', () => {
    expect(resolveAppFile('app://lesiondesk/', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://lesiondesk/assets/index-1.js', root)).toBe(path.join(root, 'assets/index-1.js'));
    expect(resolveAppFile('app://lesiondesk/assets/a%20b.css?v=1#x', root)).toBe(path.join(root, 'assets/a b.css'));
  });

  it('refuses other hosts and every way out of the folder', () => {
    expect(resolveAppFile('app://other/index.html', root)).toBeNull();
    expect(resolveAppFile('file:///etc/passwd', root)).toBeNull();
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc/passwd', '/..%5c..%5cwin.ini', '/a%00.html', '/%E0%A4%A']) {
      expect(resolveRendererFile(p, root), p).toBeNull();
    }
  });

  it('labels the renderer assets', () => {
    expect(mimeTypeOf('x/index.html')).toMatch(/^text\/html/);
    expect(mimeTypeOf('x/a.JS')).toMatch(/^text\/javascript/);
    expect(mimeTypeOf('x/unknown.bin')).toBe('application/octet-stream');
  });
});
