// For tests: renders a component on the server (svelte/server, no DOM needed) and reads the
// HTML back as a small tree, to find elements by data-testid and read their text and attributes.
import type { Component } from 'svelte';
import { render } from 'svelte/server';

export interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
}
export type HtmlNode = HtmlElement | string;

const VOID_TAGS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

/** Parses the (well-formed) HTML that svelte/server writes; comments are dropped. */
export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [] };
  const stack: HtmlElement[] = [root];
  const token = /<!--[\s\S]*?-->|<\/([a-zA-Z0-9-]+)\s*>|<([a-zA-Z0-9-]+)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*(\/?)>|([^<]+)/g;
  for (const m of html.matchAll(token)) {
    const top = stack[stack.length - 1];
    if (m[1]) {
      const at = stack.map((e) => e.tag).lastIndexOf(m[1].toLowerCase());
      if (at > 0) stack.length = at;
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of (m[3] ?? '').matchAll(/([^\s=/>]+)(?:="([^"]*)")?/g)) attrs[a[1]] = decode(a[2] ?? '');
      const el: HtmlElement = { tag: m[2].toLowerCase(), attrs, children: [] };
      top.children.push(el);
      if (!m[4] && !VOID_TAGS.has(el.tag)) stack.push(el);
    } else if (m[5]) {
      top.children.push(decode(m[5]));
    }
  }
  return root;
}

/** Every element under `node` (depth first) that `match` accepts. */
export function findAll(node: HtmlElement, match: (el: HtmlElement) => boolean): HtmlElement[] {
  const out: HtmlElement[] = [];
  for (const child of node.children) {
    if (typeof child === 'string') continue;
    if (match(child)) out.push(child);
    out.push(...findAll(child, match));
  }
  return out;
}

/** An element's text with blanks collapsed. */
export function textOf(node: HtmlNode): string {
  const raw = (n: HtmlNode): string => (typeof n === 'string' ? n : n.children.map(raw).join(''));
  return raw(node).replace(/\s+/g, ' ').trim();
}

/** The texts of an element's child elements (a table row's cells). */
export function cellTexts(el: HtmlElement): string[] {
  return el.children.filter((c): c is HtmlElement => typeof c !== 'string').map(textOf);
}

export function hasClass(el: HtmlElement, name: string): boolean {
  return (el.attrs.class ?? '').split(/\s+/).includes(name);
}

/** A rendered component: its tree, and its elements by data-testid. */
export interface Rendered {
  html: string;
  root: HtmlElement;
  all(testid: string): HtmlElement[];
  /** The one element with this test id, or null; throws when there are several. */
  get(testid: string): HtmlElement | null;
  /** The text of the one element with this test id; null when there is none. */
  text(testid: string): string | null;
}

export function renderHtml<P extends Record<string, unknown>>(component: Component<P>, props: P): Rendered {
  const html = render(component, { props }).body;
  const root = parseHtml(html);
  const all = (testid: string) => findAll(root, (el) => el.attrs['data-testid'] === testid);
  const get = (testid: string) => {
    const found = all(testid);
    if (found.length > 1) throw new Error(`${found.length} elements have data-testid="${testid}"`);
    return found[0] ?? null;
  };
  return { html, root, all, get, text: (testid) => (get(testid) ? textOf(get(testid)!) : null) };
}
