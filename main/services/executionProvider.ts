/**
 * Which onnxruntime execution provider to try on this machine, and the CPU fallback.
 * Pure logic with the platform, architecture and file checks injected, so the choice is
 * unit-testable on a machine without a GPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Execution providers LesionDesk knows how to ask onnxruntime-node for. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

/** Facts about the host that decide the provider. */
export interface HostFacts {
  platform: NodeJS.Platform;
  arch: string;
  /** Directory holding onnxruntime-node's native binding for this platform, if known. */
  ortBinDir: string | null;
  fileExists: (file: string) => boolean;
}

/** One provider to try, with why it was chosen or skipped. */
export interface ProviderCandidate {
  name: ProviderName;
  reason: string;
}

/** Which provider runs and why (shown in the status bar and `lesiondesk models`). */
export interface ProviderReport {
  provider: ProviderName;
  reason: string;
}

/** Locates onnxruntime-node's native binding directory for the current platform. */
export function defaultOrtBinDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkgJson), 'bin', 'napi-v6', platform, arch);
  } catch {
    return null;
  }
}

/** The facts of the running process. */
export function currentHostFacts(): HostFacts {
  return {
    platform: process.platform,
    arch: process.arch,
    ortBinDir: defaultOrtBinDir(),
    fileExists: existsSync,
  };
}

/**
 * Ordered providers to try; always ends with CPU. `preferred` forces one provider first
 * (e.g. `cpu` to disable acceleration).
 */
export function chooseProviders(host: HostFacts, preferred?: ProviderName): ProviderCandidate[] {
  const candidates: ProviderCandidate[] = [];
  if (preferred === 'cpu') {
    return [{ name: 'cpu', reason: 'CPU requested' }];
  }
  if (host.platform === 'linux') {
    const lib = host.ortBinDir ? path.join(host.ortBinDir, 'libonnxruntime_providers_cuda.so') : null;
    if (lib && host.fileExists(lib)) {
      candidates.push({ name: 'cuda', reason: 'CUDA provider library found' });
    }
  } else if (host.platform === 'win32') {
    candidates.push({ name: 'dml', reason: 'DirectML is bundled on Windows' });
  } else if (host.platform === 'darwin' && host.arch === 'arm64') {
    candidates.push({ name: 'coreml', reason: 'CoreML is bundled on Apple silicon' });
  }
  if (preferred) {
    const index = candidates.findIndex((c) => c.name === preferred);
    if (index > 0) candidates.unshift(...candidates.splice(index, 1));
  }
  candidates.push({ name: 'cpu', reason: cpuReason(host, candidates) });
  return candidates;
}

function cpuReason(host: HostFacts, accelerated: ProviderCandidate[]): string {
  if (accelerated.length > 0) return 'CPU fallback';
  if (host.platform === 'linux') {
    return 'no CUDA provider library in onnxruntime-node (install with --onnxruntime-node-install=cuda12 to enable CUDA)';
  }
  if (host.platform === 'darwin') return 'CoreML needs Apple silicon';
  return `no GPU provider for ${host.platform}`;
}

/**
 * Creates a session with the first candidate that starts; on failure moves to the next
 * and records why, so the report says e.g. "cpu (cuda failed: libcudnn missing)".
 */
export async function createWithFallback<S>(
  candidates: ProviderCandidate[],
  create: (provider: ProviderName) => Promise<S>,
): Promise<{ session: S; report: ProviderReport }> {
  const failures: string[] = [];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const session = await create(candidate.name);
      const reason = failures.length > 0 ? `${failures.join('; ')}; using ${candidate.name}` : candidate.reason;
      return { session, report: { provider: candidate.name, reason } };
    } catch (error) {
      lastError = error;
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      failures.push(`${candidate.name} failed to start: ${message}`);
    }
  }
  throw new Error(`no execution provider could start: ${failures.join('; ')}`, { cause: lastError });
}
