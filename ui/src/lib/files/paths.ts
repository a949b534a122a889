// Relative paths inside a root: `/`-separated, no leading slash, "" for the root itself.

/** The path of `name` inside the folder `dir`. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** The folder that holds `path` ("" for an entry of the root). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** `a/b/c` → ["a", "a/b", "a/b/c"]: every folder on the way, the path last. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export interface Crumb {
  label: string;
  path: string;
}

/** Breadcrumbs: the root (labelled `rootLabel`), then each segment of `path`. */
export function crumbs(rootLabel: string, path: string): Crumb[] {
  const parts = path.split('/').filter(Boolean);
  return [{ label: rootLabel, path: '' }, ...parts.map((label, i) => ({ label, path: parts.slice(0, i + 1).join('/') }))];
}

/** Whether `path` is `dir` or lies under it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Why a name typed for a new file, folder or rename cannot be one entry's name, or null when it
 * can: the server refuses these too, the check only spares a round trip and says it clearly.
 */
export function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'A name is needed.';
  if (name === '.' || name === '..') return `"${name}" is not a name.`;
  if (name.includes('/') || name.includes('\\')) return 'A name cannot contain / or \\.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters.';
  if (new TextEncoder().encode(name).length > 255) return 'The name is longer than 255 bytes.';
  return null;
}

/** Like `nameProblem`, for a project: also no leading dot (the server refuses hidden projects). */
export function projectNameProblem(name: string): string | null {
  const problem = nameProblem(name);
  if (problem) return problem;
  if (name.startsWith('.')) return 'A project name cannot start with a dot.';
  return null;
}

/**
 * A relative path typed for a move target: segments checked like names, surrounding slashes
 * dropped. Returns the clean path, or an error text.
 */
export function cleanRelativePath(text: string): { path: string } | { error: string } {
  const parts = text.trim().split('/').filter((p) => p !== '');
  if (parts.length === 0) return { error: 'A path is needed.' };
  for (const part of parts) {
    const problem = nameProblem(part);
    if (problem) return { error: problem };
  }
  return { path: parts.join('/') };
}

/** The root's trash folder (`/files/trash` moves entries into `<root>/.ailab-trash/<date>/`). */
export const TRASH_FOLDER = '.ailab-trash';

/** Whether `path` is an entry inside the trash (restorable), not the trash folder or a date folder itself. */
export function isTrashedEntry(path: string): boolean {
  const parts = path.split('/');
  return parts[0] === TRASH_FOLDER && parts.length >= 3;
}

/** The files page of `root` on a server, with `path` (a folder or a file) selected. */
export function filesHref(serverId: string, root: string, path = ''): string {
  const base = `#/files/${encodeURIComponent(serverId)}/${encodeURIComponent(root)}`;
  return path ? `${base}?path=${encodeURIComponent(path)}` : base;
}

/** How a root is named to a person: the project's name, "run …", "job #…". */
export function rootLabel(root: string): string {
  const i = root.indexOf(':');
  const kind = root.slice(0, i);
  const id = root.slice(i + 1);
  if (kind === 'project') return id;
  if (kind === 'job') return `job #${id}`;
  if (kind === 'run') return `run ${id.slice(0, 8)}`;
  return root;
}

/**
 * A link in a rendered Markdown file, as a path in the same root: `href` relative to the folder
 * `dir` (`./`, `../` resolved; a query or #fragment dropped). Null for links that are not
 * relative (a scheme, `//host`, `/absolute`, `#anchor`) or that climb out of the root.
 */
export function resolveRelativeLink(dir: string, href: string): string | null {
  if (href === '' || href.startsWith('#') || href.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(href)) return null;
  let target = href.replace(/[?#].*$/, '');
  try {
    target = decodeURIComponent(target);
  } catch {
    return null;
  }
  const parts = dir === '' ? [] : dir.split('/');
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(segment);
  }
  return parts.join('/');
}
