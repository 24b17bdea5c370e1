// Small statistics shared by the measurers.

/** Median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values) {
  const centre = median(values);
  return median(values.map((value) => Math.abs(value - centre)));
}

/** Least-squares slope of ys over xs (0 when the xs do not vary). */
export function slope(xs, ys) {
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  let spread = 0;
  let covariance = 0;
  for (let i = 0; i < xs.length; i++) {
    spread += (xs[i] - meanX) ** 2;
    covariance += (xs[i] - meanX) * (ys[i] - meanY);
  }
  return spread ? covariance / spread : 0;
}

/** One row of the result's `figures` table. */
export function figure(metric, value, unit, n = 1, mad = null) {
  return { metric, value, unit, n, mad };
}
