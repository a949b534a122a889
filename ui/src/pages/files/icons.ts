import type { FileEntry } from '../../lib/api/files';
import { isImageName, kindFromName } from '../../lib/files/kinds';

export type IconKind = 'folder' | 'image' | 'binary' | 'text' | 'other';

/** Which icon an entry gets. */
export function iconKind(entry: FileEntry): IconKind {
  if (entry.type === 'dir' || (entry.type === 'symlink' && entry.target_type === 'dir')) return 'folder';
  if (entry.type === 'other') return 'other';
  if (isImageName(entry.name)) return 'image';
  return kindFromName(entry.name) === 'binary' ? 'binary' : 'text';
}
