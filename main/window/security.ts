/**
 * The security policy of the window, as plain data: BrowserWindow options, the CSP, which
 * origins may call the API, and how app:// URLs map to files. No Electron import, so a unit
 * test can check every value (main/window/security.test.ts).
 */
import path from 'node:path';

/** Scheme and host the renderer is served from; the only origin allowed to call the API. */
export const appScheme = 'app';
export const appHost = 'lesiondesk';
export const appOrigin = `${appScheme}://${appHost}`;
export const appEntryUrl = `${appOrigin}/index.html`;

/**
 * Content-Security-Policy for every document the app serves (app:// and browser mode).
 * Svelte's built CSS is emitted as files, so no inline style or script is needed.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every document and asset, in both transports. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * webPreferences every window gets. `devTools` is off unless asked for: the shell asks only in
 * an unpackaged (development) run, so a packaged build cannot open the inspector.
 */
export function secureWebPreferences(preloadPath: string, options: { devTools?: boolean } = {}) {
  return {
    preload: preloadPath,
    devTools: options.devTools ?? false,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  } as const;
}

/** Options of the main window (a subset of Electron's BrowserWindowConstructorOptions). */
export function mainWindowOptions(preloadPath: string, options: { devTools?: boolean } = {}) {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1115',
    title: 'LesionDesk',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath, options),
  } as const;
}

/**
 * True when an IPC message comes from the app's own page. In development the Vite dev server
 * origin is added by the caller; packaged builds accept app://lesiondesk only.
 */
export function isTrustedSender(frameUrl: string | undefined | null, extraOrigins: readonly string[] = []): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (url.protocol === `${appScheme}:` && url.host === appHost) return true;
  return extraOrigins.includes(url.origin);
}

/** Why an IPC call must be dropped, or null when its sender is the app's own top frame. */
export function ipcSenderProblem(
  sender: { frameUrl: string | undefined | null; isMainFrame: boolean },
  extraOrigins: readonly string[] = [],
): string | null {
  if (!sender.isMainFrame) return 'calls from sub-frames are not accepted';
  if (!isTrustedSender(sender.frameUrl, extraOrigins)) {
    return `calls from ${sender.frameUrl ? JSON.stringify(sender.frameUrl.slice(0, 100)) : 'an unknown page'} are not accepted`;
  }
  return null;
}

/**
 * Map an app:// request URL to a file inside rootDir, or null when it is not the app's host or
 * would escape rootDir.
 */
export function resolveAppFile(requestUrl: string, rootDir: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${appScheme}:` || url.host !== appHost) return null;
  return resolveRendererFile(url.pathname, rootDir);
}

/**
 * Map a URL path (still percent-encoded) to a file inside rootDir, or null when it would escape
 * rootDir (../, encoded separators, backslashes, NUL bytes). "/" is index.html.
 */
export function resolveRendererFile(urlPath: string, rootDir: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (!file.startsWith(root + path.sep)) return null;
  return file;
}

/** MIME types of the files the renderer build contains. */
export function mimeTypeOf(file: string): string {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
    '.wasm': 'application/wasm',
  };
  return types[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
