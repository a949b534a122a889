// Which viewer shows a file: from its name first, then from a sniff of its first bytes.

export type ViewerKind = 'code' | 'markdown' | 'image' | 'csv' | 'log' | 'text' | 'binary';

/** The editor's syntax modes. */
export type Language = 'python' | 'cpp' | 'shell' | 'json' | 'yaml' | 'markdown' | 'javascript' | 'typescript' | 'plain';

const LANGUAGE_BY_EXTENSION: Record<string, Language> = {
  py: 'python',
  pyi: 'python',
  pyw: 'python',
  c: 'cpp',
  h: 'cpp',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  hh: 'cpp',
  hxx: 'cpp',
  cu: 'cpp',
  cuh: 'cpp',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  slurm: 'shell',
  sbatch: 'shell',
  json: 'json',
  jsonl: 'json',
  ipynb: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  md: 'markdown',
  markdown: 'markdown',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
};

const LANGUAGE_BY_NAME: Record<string, Language> = {
  makefile: 'shell',
  dockerfile: 'shell',
  '.bashrc': 'shell',
  '.profile': 'shell',
};

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg']);
const LOG_EXTENSIONS = new Set(['log', 'out', 'err']);
const TEXT_EXTENSIONS = new Set(['txt', 'text', 'cfg', 'ini', 'toml', 'conf', 'env', 'gitignore', 'rst', 'tex', 'xml', 'html', 'css', 'tsv', 'lock']);
const CSV_EXTENSIONS = new Set(['csv', 'tsv']);
const BINARY_EXTENSIONS = new Set(['pt', 'pth', 'ckpt', 'bin', 'safetensors', 'npy', 'npz', 'pkl', 'h5', 'hdf5', 'onnx', 'so', 'o', 'a', 'zip', 'gz', 'tgz', 'tar', 'xz', 'zst', 'pdf', 'bmp', 'tiff', 'ico', 'mp4', 'wav']);

export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function languageOf(name: string): Language {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  return LANGUAGE_BY_NAME[base] ?? LANGUAGE_BY_EXTENSION[extensionOf(name)] ?? 'plain';
}

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

/** The MIME type an image is shown as (an `<img>` from a Blob of this type; svg runs no script there). */
export function imageMime(name: string): string {
  const ext = extensionOf(name);
  if (ext === 'svg') return 'image/svg+xml';
  if (ext === 'jpg' || ext === 'jpeg') return 'image/jpeg';
  return `image/${ext}`;
}

/** The viewer a file's name asks for, or null when only its bytes can tell (`sniffKind`). */
export function kindFromName(name: string): ViewerKind | null {
  const ext = extensionOf(name);
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (CSV_EXTENSIONS.has(ext)) return 'csv';
  if (LOG_EXTENSIONS.has(ext)) return 'log';
  if (BINARY_EXTENSIONS.has(ext)) return 'binary';
  if (languageOf(name) !== 'plain') return 'code';
  if (TEXT_EXTENSIONS.has(ext)) return 'text';
  return null;
}

/**
 * Text or binary from the first bytes: a NUL, or more than 10 % bytes that are neither printable
 * ASCII, whitespace nor part of valid UTF-8, mean binary. An empty file is text.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  if (sample.length === 0) return false;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i];
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) odd++;
  }
  if (odd / sample.length > 0.1) return true;
  // Valid UTF-8 (a cut last character allowed) is text.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return false;
  } catch {
    let high = 0;
    for (const b of sample) if (b >= 0x80) high++;
    return high / sample.length > 0.3;
  }
}

/** The viewer for a file: its name's, else text or binary by its first bytes. */
export function viewerKind(name: string, firstBytes: Uint8Array): ViewerKind {
  const byName = kindFromName(name);
  if (byName === 'image' || byName === 'binary') return byName;
  if (looksBinary(firstBytes)) return 'binary';
  return byName ?? 'text';
}

/** Files up to this size open in the editor; larger text opens read-only, by ranges. */
export const EDITABLE_MAX_BYTES = 4 * 1024 * 1024;
