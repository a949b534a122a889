import { describe, expect, it } from 'vitest';
import { ServerClient } from './client';
import { fakeFetch, type Call } from './fakes';
import { listRunImages, readRunImage } from './runs';
import type { RunImage } from './types';

const path = (call: Call) => new URL(call.url).pathname;

const image = (index: number, tag: string, step: number): RunImage => ({
  index,
  tag,
  step,
  wall_time: 1733212800.5 + step,
  width: 64,
  height: 64,
  type: 'image/png',
  bytes: 1234,
});

describe('event-file images', () => {
  it('lists a run’s images with the token, the id escaped', async () => {
    const fetch = fakeFetch(() => ({ body: { images: [image(0, 'samples/grid', 100), image(1, 'samples/grid', 200)], truncated: true } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const got = await listRunImages(client, 'vision/tb run');
    expect(got.truncated).toBe(true);
    expect(got.images.map((i) => i.step)).toEqual([100, 200]);
    expect(path(fetch.calls[0])).toBe('/api/v1/runs/vision%2Ftb%20run/images');
    expect(fetch.calls[0].headers.Authorization).toBe('Bearer t');
  });

  it('reads an old server’s 404 as no images, but keeps other errors', async () => {
    // Bad input: a server before event files (404) and one that fails (500).
    let status = 404;
    const fetch = fakeFetch(() => ({ status, body: { error: status === 404 ? 'not found' : 'disk on fire' } }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    expect(await listRunImages(client, 'r')).toEqual({ images: [], truncated: false });
    status = 500;
    await expect(listRunImages(client, 'r')).rejects.toMatchObject({ status: 500, message: 'disk on fire' });
  });

  it('copes with an answer without a list', async () => {
    const client = new ServerClient('http://h:1', { fetch: fakeFetch(() => ({ body: {} })), token: 't' });
    expect(await listRunImages(client, 'r')).toEqual({ images: [], truncated: false });
  });

  it('fetches one image as a blob of its Content-Type, with the token', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const fetch = fakeFetch((c) => (path(c).endsWith('/images/7') ? { raw: png, headers: { 'Content-Type': 'image/gif' } } : { raw: png }));
    const client = new ServerClient('http://h:1', { fetch, token: 't' });
    const gif = await readRunImage(client, 'a/b', 7);
    expect(gif.type).toBe('image/gif');
    expect(new Uint8Array(await gif.arrayBuffer())).toEqual(png);
    expect(path(fetch.calls[0])).toBe('/api/v1/runs/a%2Fb/images/7');
    expect(fetch.calls[0].headers.Authorization).toBe('Bearer t');
    // An untyped answer takes the type the listing gave.
    expect((await readRunImage(client, 'a', 3, 'image/jpeg')).type).toBe('image/jpeg');
  });
});
