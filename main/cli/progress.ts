/** A one-line progress bar for terminals; silent when the stream is not a TTY. */
export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly enabled: boolean = Boolean(stream.isTTY),
  ) {}

  /** Redraws (at most every 50 ms, always on the last item). */
  update(done: number, label: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (done < this.total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const width = 28;
    const filled = this.total === 0 ? width : Math.round((done / this.total) * width);
    const rate = done / Math.max(1e-3, (now - this.start) / 1000);
    const columns = this.stream.columns ?? 80;
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${rate.toFixed(1)} img/s ${label}`;
    this.stream.write(`\r${text.slice(0, columns - 1).padEnd(columns - 1)}`);
  }

  /** Ends the bar's line (so later output starts on a fresh one). */
  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }

  /** Clears the line before other output is printed, so messages don't interleave with the bar. */
  clear(): void {
    if (this.enabled) this.stream.write(`\r${' '.repeat((this.stream.columns ?? 80) - 1)}\r`);
  }
}
