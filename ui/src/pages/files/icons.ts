import type { FileEntry } from '../../lib/api/files';
import { isImageName, kindFromName } from '../../lib/files/kinds';

/** A one-character icon for an entry (text glyphs: no icon font to load). */
export function entryIcon(entry: FileEntry): string {
  if (entry.type === 'dir' || (entry.type === 'symlink' && entry.target_type === 'dir')) return '📁';
  if (entry.type === 'other') return '◇';
  if (isImageName(entry.name)) return '🖼';
  const kind = kindFromName(entry.name);
  if (kind === 'binary') return '▪';
  if (kind === 'log') return '≡';
  return '📄';
}
