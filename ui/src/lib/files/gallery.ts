import type { FileEntry } from '../api/files';
import type { RunImage } from '../api/types';
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

/** The images an event file holds for one tag at one step (usually one; more with `max_outputs`). */
export interface EventImageStep {
  step: number;
  images: RunImage[];
}

/** One tag's images (TensorBoard's image card): its steps in ascending order. */
export interface EventImageTag {
  tag: string;
  steps: EventImageStep[];
}

/**
 * The event-file images of a run by tag, in the order each tag first appears, each tag's steps
 * ascending (the newest last: what a card shows until its slider moves). Several images of one tag
 * at one step (`max_outputs`, or a step written again by a restarted run) stay together, in file order.
 */
export function groupEventImages(images: readonly RunImage[]): EventImageTag[] {
  const tags = new Map<string, Map<number, RunImage[]>>();
  for (const image of images) {
    let steps = tags.get(image.tag);
    if (!steps) tags.set(image.tag, (steps = new Map()));
    const at = steps.get(image.step);
    if (at) at.push(image);
    else steps.set(image.step, [image]);
  }
  return [...tags].map(([tag, steps]) => ({
    tag,
    steps: [...steps].sort((a, b) => a[0] - b[0]).map(([step, list]) => ({ step, images: list })),
  }));
}

/** Where a tag's slider stands: the chosen position when still valid, else the newest step. */
export function stepPosition(tag: EventImageTag, chosen: number | null | undefined): number {
  const last = tag.steps.length - 1;
  if (chosen === null || chosen === undefined || !Number.isInteger(chosen)) return last;
  return Math.max(0, Math.min(last, chosen));
}
