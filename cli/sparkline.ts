const BARS = "▁▂▃▄▅▆▇█";

/**
 * Figures over a window as one line of block characters, `columns` wide: each column is the
 * highest figure of its slice of the window, a space where there is none (no pod ran), so that
 * the line reads as time whatever the spacing of the samples.
 */
export function sparkline(
  points: readonly { readonly at: number; readonly value: number }[],
  window: { readonly end: number; readonly ms: number },
  columns = 60,
): string {
  const peaks: (number | undefined)[] = new Array<number | undefined>(columns).fill(undefined);
  const start = window.end - window.ms;
  for (const point of points) {
    if (point.at < start || point.at > window.end) continue;
    const column = Math.min(columns - 1, Math.floor(((point.at - start) / window.ms) * columns));
    peaks[column] = Math.max(peaks[column] ?? 0, point.value);
  }
  const max = Math.max(0, ...peaks.map((peak) => peak ?? 0));
  return peaks
    .map((peak) => {
      if (peak === undefined) return " ";
      if (max === 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor((peak / max) * (BARS.length - 1) + 0.5))];
    })
    .join("");
}
