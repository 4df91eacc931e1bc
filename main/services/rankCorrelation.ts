/**
 * Spearman's rank correlation, used by the uncertainty benchmark to measure how well a score
 * ranks cases by their Dice error. Tied values share the mean of the ranks they span (the
 * standard "fractional ranking"), and rho is Pearson's correlation of those ranks, which stays
 * exact with ties (the 1 - 6 sum d^2 / n(n^2 - 1) shortcut does not).
 */

/** Fractional ranks (1-based; ties get the mean of their positions). */
export function fractionalRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end-1 hold equal values: 1-based ranks start+1..end, mean (start+1+end)/2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation; NaN when either side is constant (no ranking to compare). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new Error(`pearson: ${xs.length} values against ${ys.length}`);
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho with ties handled (Pearson on fractional ranks). */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  return pearson(fractionalRanks(xs), fractionalRanks(ys));
}
