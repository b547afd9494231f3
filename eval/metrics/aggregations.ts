// MLflow's standard aggregations (`mean`, `variance`, `p90`) computed exactly as numpy does them:
// np.mean / np.var use pairwise summation; np.percentile(…, 90) uses the 'linear' method's lerp.

/** numpy's `pairwise_sum` for float64 (8-way unrolled blocks of up to 128, halving above). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    // biome-ignore format: numpy's exact association
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean` (add.reduce starts from the identity 0.0). */
export function npMean(a: ArrayLike<number>): number {
  return (0 + pairwiseSum(a)) / a.length;
}

/** `np.var` with ddof = 0 (population variance). */
export function npVar(a: ArrayLike<number>): number {
  const mean = npMean(a);
  const sq = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - mean;
    sq[i] = d * d;
  }
  return (0 + pairwiseSum(sq)) / a.length;
}

/** `np.percentile(a, q)` with the default 'linear' method. */
export function npPercentile(a: ArrayLike<number>, q: number): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(a).sort();
  if (sorted.some(Number.isNaN)) return Number.NaN;
  const quantile = q / 100;
  // numpy's 'linear' virtual index is `(n - 1) * q` (not the general alpha/beta formula, to avoid
  // rounding); indexes at or past the ends clamp to them (_get_indexes).
  const virtual = (n - 1) * quantile;
  if (virtual >= n - 1) return sorted[n - 1];
  if (virtual < 0) return sorted[0];
  const previous = Math.floor(virtual);
  return lerp(sorted[previous], sorted[previous + 1], virtual - previous);
}

/** numpy's `_lerp`: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5. */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

export interface StandardAggregates {
  mean: number;
  variance: number;
  p90: number;
}

/** MLflow's `standard_aggregations(scores)`. */
export function standardAggregations(scores: ArrayLike<number>): StandardAggregates {
  return { mean: npMean(scores), variance: npVar(scores), p90: npPercentile(scores, 90) };
}
