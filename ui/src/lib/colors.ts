// Stable colours: a run and a metric get the same colour on every page and after every reload,
// because the colour is a hash of its key, not of its position in a list.

/** 16 colours that stay apart on light and dark backgrounds (Tableau 10 + 6 more). */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#17becf', '#8c6bb1', '#2ca02c', '#d62728', '#bcbd22', '#1f77b4', '#e377c2',
] as const;

/** FNV-1a 32 of a string (UTF-16 code units): cheap, and the same in every browser. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The colour of a run, by its row key (`server:run id`). */
export function runColor(key: string): string {
  return PALETTE[hashString(`run:${key}`) % PALETTE.length];
}

/** The colour of a metric, by its name ("loss", "val/acc"). */
export function metricColor(name: string): string {
  return PALETTE[hashString(`metric:${name}`) % PALETTE.length];
}
