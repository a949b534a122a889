// Column widths of the runs table: one CSS grid template for the header and every row.
import { parseColumn, type ColumnId } from '../../lib/table';

interface Width {
  min: number;
  /** A share of the free space (fr); 0: fixed at `min`. */
  grow: number;
}

const BUILTIN_WIDTHS: Record<string, Width> = {
  server: { min: 80, grow: 0.8 },
  name: { min: 170, grow: 2.6 },
  state: { min: 84, grow: 0 },
  phase: { min: 56, grow: 0.5 },
  epoch: { min: 60, grow: 0 },
  progress: { min: 90, grow: 1 },
  eta: { min: 70, grow: 0 },
  score: { min: 64, grow: 0 },
  updated: { min: 86, grow: 0 },
  started: { min: 130, grow: 0 },
  tags: { min: 90, grow: 1 },
};

/** The check box and the star in front of every row. */
export const LEAD = '32px 28px';
const LEAD_PX = 60;

function width(id: ColumnId): Width {
  const ref = parseColumn(id);
  if (ref?.kind === 'builtin') return BUILTIN_WIDTHS[ref.id] ?? { min: 80, grow: 0 };
  if (ref?.kind === 'param') return { min: 78, grow: 0.6 };
  return { min: 84, grow: 0.4 };
}

export function gridTemplate(columns: readonly ColumnId[]): string {
  const tracks = columns.map((c) => {
    const w = width(c);
    return w.grow ? `minmax(${w.min}px, ${w.grow}fr)` : `${w.min}px`;
  });
  return [LEAD, ...tracks].join(' ');
}

/** The narrowest the table gets before it scrolls sideways. */
export function minWidth(columns: readonly ColumnId[]): number {
  return LEAD_PX + columns.reduce((sum, c) => sum + width(c).min, 0);
}

/** Columns whose cells are numbers (right-aligned, tabular). */
export function isNumericColumn(id: ColumnId): boolean {
  const ref = parseColumn(id);
  if (!ref) return false;
  if (ref.kind === 'metric') return true;
  if (ref.kind === 'param') return false;
  return ref.id === 'epoch' || ref.id === 'eta' || ref.id === 'score';
}
