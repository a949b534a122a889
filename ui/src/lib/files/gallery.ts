import type { FileEntry } from '../api/files';
import { isImageName } from './kinds';
import { joinPath, TRASH_FOLDER } from './paths';

export interface GalleryImage {
  path: string;
  entry: FileEntry;
}

export interface GalleryOptions {
  /** Folder levels below the root that are searched (default 2: `samples/epoch_3/grid.png`). */
  depth?: number;
  /** Folders listed at most (default 50). */
  maxFolders?: number;
  /** Images kept at most (default 200). */
  maxImages?: number;
}

/**
 * The images of a run's folder for its gallery: breadth first from the root, hidden entries and
 * the trash left out, newest first within a folder, bounded in folders listed and images kept
 * (a run folder may hold 100,000 files).
 */
export async function collectImages(list: (path: string) => Promise<FileEntry[]>, options: GalleryOptions = {}): Promise<{ images: GalleryImage[]; truncated: boolean }> {
  const depth = options.depth ?? 2;
  const maxFolders = options.maxFolders ?? 50;
  const maxImages = options.maxImages ?? 200;
  const images: GalleryImage[] = [];
  let queue: string[] = [''];
  let listed = 0;
  let truncated = false;
  for (let level = 0; level <= depth && queue.length > 0; level++) {
    const next: string[] = [];
    for (const dir of queue) {
      if (listed >= maxFolders) {
        truncated = true;
        break;
      }
      listed++;
      let entries: FileEntry[];
      try {
        entries = await list(dir);
      } catch {
        continue;
      }
      const found = entries.filter((e) => e.type !== 'dir' && !e.hidden && isImageName(e.name)).sort((a, b) => b.mtime - a.mtime);
      for (const e of found) {
        if (images.length >= maxImages) {
          truncated = true;
          break;
        }
        images.push({ path: joinPath(dir, e.name), entry: e });
      }
      for (const e of entries) if (e.type === 'dir' && !e.hidden && e.name !== TRASH_FOLDER) next.push(joinPath(dir, e.name));
    }
    queue = next;
  }
  return { images, truncated };
}
