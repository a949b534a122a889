// A run's format (what wrote its files) and how the pages name it.
import { RUN_FORMATS, type RunFormat, type RunSummary } from './api/types';

const LABELS: Record<RunFormat, string> = {
  ailab: 'AI Lab',
  tensorboard: 'TensorBoard',
  lightning: 'Lightning',
  huggingface: 'Hugging Face',
};

/** A run's format: 'ailab' when the server does not say (servers before formats) or says something unknown. */
export function runFormat(run: Pick<RunSummary, 'format'> | null | undefined): RunFormat {
  const f = run?.format;
  return f && (RUN_FORMATS as readonly string[]).includes(f) ? f : 'ailab';
}

/**
 * What an idle run is, for a tooltip on its state: a format without goals (TensorBoard, Lightning,
 * Hugging Face) whose files stopped growing for the server's `idle_minutes`.
 */
export const IDLE_HINT = 'no growth for a while; the files cannot tell finished from dead';

/** The format's name for people ("TensorBoard"). */
export function formatLabel(format: RunFormat): string {
  return LABELS[format];
}

/** The label a run page shows beside the run's name: none for AI Lab's own log (the usual case). */
export function formatBadge(run: Pick<RunSummary, 'format'> | null | undefined): string {
  const f = runFormat(run);
  return f === 'ailab' ? '' : LABELS[f];
}
