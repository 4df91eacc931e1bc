/** Display formatting for measurements and timings. */

/** "12 ms", "1.2 s". */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** "1,234,567" with thin grouping, locale independent. */
export function formatInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "12.3 %" */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** "2.4 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Execution provider as people name it. */
export function providerLabel(provider: string): string {
  const names: Record<string, string> = {
    cpu: 'CPU',
    cuda: 'CUDA (NVIDIA GPU)',
    dml: 'DirectML (GPU)',
    coreml: 'Core ML (Apple)',
    webgpu: 'WebGPU',
  };
  return names[provider.toLowerCase()] ?? provider;
}

/** The sentence to show for something thrown: an Error's message, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A stored ISO time as the user's locale writes it ('—' when unknown, the text itself when unreadable). */
export function formatDateTime(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
