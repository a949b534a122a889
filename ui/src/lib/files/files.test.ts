import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../api/files';
import { guessDelimiter, parseCsv } from './csv';
import { collectImages, groupEventImages, stepPosition } from './gallery';
import type { RunImage } from '../api/types';
import { hexLine } from './hex';
import { languageOf, looksBinary, viewerKind } from './kinds';
import { markdownToHtml, safeHref } from './markdown';
import { cleanRelativePath, crumbs, isTrashedEntry, nameProblem, projectNameProblem, resolveRelativeLink } from './paths';
import { LineBuffer, ProgressiveText, type RangeChunk } from './progressive';

const enc = (s: string) => new TextEncoder().encode(s);

describe('paths and names', () => {
  it('builds breadcrumbs from the root down', () => {
    expect(crumbs('proj', 'a/b/c.py')).toEqual([
      { label: 'proj', path: '' },
      { label: 'a', path: 'a' },
      { label: 'b', path: 'a/b' },
      { label: 'c.py', path: 'a/b/c.py' },
    ]);
    expect(crumbs('proj', '')).toEqual([{ label: 'proj', path: '' }]);
  });

  it('refuses names the server would refuse', () => {
    // Bad input: traversal, separators, control characters, hidden project names, over-long names.
    for (const bad of ['', '  ', '.', '..', 'a/b', 'a\\b', 'x\u0000y', 'tab\there', 'é'.repeat(128)]) expect(nameProblem(bad)).not.toBeNull();
    expect(nameProblem('model v2.py')).toBeNull();
    expect(projectNameProblem('.secret')).not.toBeNull();
    expect(projectNameProblem('mnist')).toBeNull();
    expect(cleanRelativePath('/a//b/')).toEqual({ path: 'a/b' });
    expect(cleanRelativePath('a/../b')).toHaveProperty('error');
    expect(isTrashedEntry('.ailab-trash/2026-11-27/a.py')).toBe(true);
    expect(isTrashedEntry('.ailab-trash/2026-11-27')).toBe(false);
  });

  it('resolves a Markdown link inside the root, and refuses one that leaves it', () => {
    // Bad input: ../ past the root, absolute paths, schemes, protocol-relative links.
    expect(resolveRelativeLink('docs', 'setup.md')).toBe('docs/setup.md');
    expect(resolveRelativeLink('docs', './img/a%20b.png#top')).toBe('docs/img/a b.png');
    expect(resolveRelativeLink('docs/x', '../../train.py')).toBe('train.py');
    expect(resolveRelativeLink('docs', '../../etc/passwd')).toBeNull();
    expect(resolveRelativeLink('', '/etc/passwd')).toBeNull();
    expect(resolveRelativeLink('', 'https://e.org/a.md')).toBeNull();
    expect(resolveRelativeLink('', '//e.org/a')).toBeNull();
    expect(resolveRelativeLink('', '#section')).toBeNull();
  });
});

describe('viewer kinds', () => {
  it('picks languages and viewers by name, and text or binary by the bytes', () => {
    // Bad input: a file named .txt that holds NUL bytes; a .py that is binary; an svg (an image, never markup).
    expect(languageOf('train.py')).toBe('python');
    expect(languageOf('k.cu')).toBe('cpp');
    expect(languageOf('run.sh')).toBe('shell');
    expect(languageOf('Makefile')).toBe('shell');
    expect(languageOf('x.tsx')).toBe('typescript');
    expect(viewerKind('a.txt', new Uint8Array([0x61, 0, 0x62]))).toBe('binary');
    expect(viewerKind('a.py', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]))).toBe('binary');
    expect(viewerKind('grid.svg', enc('<svg onload="alert(1)"/>'))).toBe('image');
    expect(viewerKind('README', enc('# hello'))).toBe('text');
    expect(viewerKind('notes.md', enc('# hello'))).toBe('markdown');
    expect(viewerKind('train.log', enc('epoch 1'))).toBe('log');
    expect(viewerKind('m.csv', enc('a,b'))).toBe('csv');
    // UTF-8 cut in the middle of a character at the sample's end is still text.
    expect(looksBinary(enc('héllo wörld ✓').subarray(0, 15))).toBe(false);
    expect(looksBinary(new Uint8Array(0))).toBe(false);
  });
});

describe('csv and hex', () => {
  it('parses quotes, escaped quotes and line breaks in fields; drops a cut last row', () => {
    // Bad input: a quoted field with the delimiter, a "" escape and a newline; CRLF line ends; a row cut mid-field.
    const text = 'a,b\r\n"x, y","say ""hi"""\n"multi\nline",2\nlast,cu';
    expect(parseCsv(text, ',', true)).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', '2'],
      ['last', 'cu'],
    ]);
    expect(parseCsv(text, ',', false).length).toBe(3);
    expect(guessDelimiter('m.csv', 'a;b;c\n1;2;3')).toBe(';');
    expect(guessDelimiter('m.tsv', 'a,b')).toBe('\t');
  });

  it('dumps bytes as offset, hex and printable ASCII', () => {
    const bytes = new Uint8Array([0x41, 0x00, 0x7f, 0xff, 0x20]);
    expect(hexLine(bytes, 0, 0x100)).toBe('00000100  41 00 7f ff 20' + ' '.repeat(36) + 'A... ');
  });
});

describe('markdown', () => {
  it('renders markdown, escapes raw HTML and drops script links', () => {
    // Bad input: a script tag, an onerror image and javascript: links (with a tab inside the scheme).
    const html = markdownToHtml('# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](java\tscript:x) [ok](https://e.org)');
    expect(html).toContain('<h1');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('href="https://e.org"');
    expect(safeHref('JAVASCRIPT:x')).toBe(false);
    expect(safeHref('data:text/html,x')).toBe(false);
    expect(safeHref('docs/a.md')).toBe(true);
  });
});

/** A file of `text` served by ranges like GET /files/content (suffix ranges, 416 past the end as no bytes). */
function rangeFile(initial: string) {
  let bytes = enc(initial);
  const reads: string[] = [];
  const read = async (r: { start: number; end?: number }): Promise<RangeChunk> => {
    reads.push(`${r.start}-${r.end ?? ''}`);
    const start = r.start < 0 ? Math.max(0, bytes.length + r.start) : r.start;
    if (start >= bytes.length) return { bytes: new Uint8Array(0), start: bytes.length, size: bytes.length };
    const end = r.end === undefined ? bytes.length : Math.min(bytes.length, r.end + 1);
    return { bytes: bytes.slice(start, end), start, size: bytes.length };
  };
  return {
    read,
    reads,
    append: (s: string) => (bytes = new Uint8Array([...bytes, ...enc(s)])),
    replace: (s: string) => (bytes = enc(s)),
  };
}

describe('progressive text', () => {
  it('joins lines and characters cut at chunk ends', () => {
    // Bad input: a 3-byte character split over two chunks, a CRLF split between \r and \n.
    const b = new LineBuffer();
    const all = enc('ab✓c\r\nd');
    b.push(all.subarray(0, 3));
    b.push(all.subarray(3, 6));
    b.push(all.subarray(6));
    expect(b.lines).toEqual(['ab✓c']);
    expect(b.partial).toBe('d');
    expect(b.count).toBe(2);
  });

  it('shows the first screen of a big file from one range and reads on only when asked', async () => {
    // Bad input: a file far larger than one chunk; reading it whole would be the bug.
    const big = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
    const file = rangeFile(big);
    const text = new ProgressiveText(file.read, { chunkBytes: 1024 });
    await text.openHead();
    expect(file.reads).toEqual(['0-1023']);
    expect(text.buffer.line(0)).toBe('line 0');
    expect(text.size).toBe(enc(big).length);
    expect(text.atEnd).toBe(false);
    await text.more();
    expect(file.reads[1]).toBe('1024-2047');
    expect(text.next).toBe(2048);
  });

  it('stops reading on at maxBytes', async () => {
    const file = rangeFile('x\n'.repeat(5000));
    const text = new ProgressiveText(file.read, { chunkBytes: 1000, maxBytes: 3000 });
    await text.openHead();
    while (await text.more());
    expect(text.next).toBe(3000);
    expect(text.capped).toBe(true);
  });

  it('follows a log from its tail, sees appends, and reports a truncated file', async () => {
    // Bad input: a tail that starts mid-line (the cut line is left out); a log rewritten shorter.
    const file = rangeFile('aaaa\nbbbb\ncccc\n');
    const text = new ProgressiveText(file.read, { chunkBytes: 8 });
    await text.openTail(7);
    expect(text.buffer.lines).toEqual(['cccc']);
    expect(await text.poll()).toBe('same');
    // The poll asks from one byte before the end, so an unchanged file is a 206, not a 416.
    expect(file.reads.at(-1)).toBe('14-22');
    file.append('dddd\neeee\nff');
    expect(await text.poll()).toBe('grew');
    expect(text.buffer.lines).toEqual(['cccc', 'dddd', 'eeee']);
    expect(text.buffer.partial).toBe('ff');
    file.replace('new\n');
    expect(await text.poll()).toBe('truncated');
  });
});

describe('gallery', () => {
  it('finds images breadth first to a depth, newest first, skipping hidden folders and the trash, within bounds', async () => {
    // Bad input: images in the trash and in a hidden folder (left out), a folder that fails to list, too many images.
    const f = (name: string, mtime = 0, extra: Partial<FileEntry> = {}): FileEntry => ({ name, type: 'file', size: 1, mtime, hidden: false, ...extra });
    const d = (name: string, extra: Partial<FileEntry> = {}): FileEntry => f(name, 0, { type: 'dir', ...extra });
    const tree: Record<string, FileEntry[]> = {
      '': [d('samples'), d('.cache', { hidden: true }), d('.ailab-trash'), d('broken'), f('cm.png', 5), f('notes.txt'), f('loss.svg', 9)],
      samples: [d('epoch_1'), f('grid.jpg')],
      'samples/epoch_1': [f('a.webp'), d('deeper')],
      'samples/epoch_1/deeper': [f('too-deep.png')],
      '.cache': [f('x.png')],
      '.ailab-trash': [f('old.png')],
    };
    const listed: string[] = [];
    const list = async (p: string) => {
      listed.push(p);
      if (!tree[p]) throw new Error('gone');
      return tree[p];
    };
    const { images, truncated } = await collectImages(list);
    expect(images.map((i) => i.path)).toEqual(['loss.svg', 'cm.png', 'samples/grid.jpg', 'samples/epoch_1/a.webp']);
    expect(truncated).toBe(false);
    expect(listed).not.toContain('.cache');
    expect(listed).not.toContain('.ailab-trash');
    const capped = await collectImages(list, { maxImages: 2 });
    expect(capped.images.length).toBe(2);
    expect(capped.truncated).toBe(true);
  });

  it('groups event-file images by tag, steps ascending, several images of a step together', () => {
    const img = (index: number, tag: string, step: number): RunImage => ({ index, tag, step, wall_time: null, width: 8, height: 8, type: 'image/png', bytes: 10 });
    // Out of order steps (a resumed writer) and two images of one step (max_outputs = 2).
    const tags = groupEventImages([img(0, 'samples/grid', 200), img(1, 'attention', 100), img(2, 'samples/grid', 100), img(3, 'samples/grid', 300), img(4, 'samples/grid', 300)]);
    expect(tags.map((t) => t.tag)).toEqual(['samples/grid', 'attention']);
    expect(tags[0].steps.map((s) => [s.step, s.images.map((i) => i.index)])).toEqual([
      [100, [2]],
      [200, [0]],
      [300, [3, 4]],
    ]);
    expect(groupEventImages([])).toEqual([]);
  });
  it('puts a tag’s slider on the newest step until one is chosen, and keeps a choice in range', () => {
    const tag = { tag: 't', steps: [10, 20, 30].map((step) => ({ step, images: [] })) };
    expect(stepPosition(tag, null)).toBe(2);
    expect(stepPosition(tag, 0)).toBe(0);
    expect(stepPosition(tag, 7)).toBe(2);
    expect(stepPosition(tag, -1)).toBe(0);
    expect(stepPosition(tag, 1.5)).toBe(2);
  });
});
