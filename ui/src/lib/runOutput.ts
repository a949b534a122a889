// Which of a run's files are its output (the run page's log tail): the log AI Lab reads metrics from
// first, then what training scripts usually write their console to.

const OUTPUT_NAME = /(\.(log|out|err)$)|(^|\/)(stdout|stderr|output|console|train)(\.txt)?$/i;

/** Whether a file in the run's folder looks like console or log output. */
export function isOutputFile(path: string): boolean {
  return OUTPUT_NAME.test(path);
}

/** Whether a file is a TensorBoard event file (binary records: no text to tail). */
export function isEventFile(path: string): boolean {
  return /(^|\/)[^/]*tfevents[^/]*$/i.test(path);
}

/**
 * The run's output files, the metrics log first (unless it is a binary TensorBoard event file),
 * each once; at most `limit`.
 */
export function outputFiles(logFile: string | null | undefined, files: readonly string[] | null | undefined, limit = 8): string[] {
  const out: string[] = [];
  if (logFile && !isEventFile(logFile)) out.push(logFile);
  for (const f of files ?? []) {
    if (out.length >= limit) break;
    if (!out.includes(f) && isOutputFile(f)) out.push(f);
  }
  return out;
}
