// Markdown rendered for the viewer. Raw HTML in the source is shown as text, never as markup, and
// links and images with a scheme other than http(s), mailto or a relative path are dropped. The
// browser runs the result through DOMPurify as well (MarkdownView), so a README from a run
// cannot run script in the GUI's origin. Import this module lazily: marked is its own chunk.
import { Marked, type Tokens } from 'marked';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Whether a link target is harmless: relative, #anchor, http(s) or mailto. */
export function safeHref(href: string): boolean {
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  const compact = href.replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(compact);
  if (!scheme) return true;
  return scheme[1] === 'http' || scheme[1] === 'https' || scheme[1] === 'mailto';
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
  },
  walkTokens(token) {
    if ((token.type === 'link' || token.type === 'image') && !safeHref(token.href)) token.href = '#';
  },
});

/** Markdown → HTML with raw HTML escaped and unsafe links replaced by `#`. */
export function markdownToHtml(source: string): string {
  return marked.parse(source) as string;
}
