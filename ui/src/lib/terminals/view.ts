// xterm.js set up as an interactive terminal of a server (issue 11): fit to its element, web
// links, search, Unicode 11 widths, copy and paste with Ctrl-Shift-C/V and the right button.
// Import this module lazily (`await import('…/terminals/view')`): xterm.js and its addons are the
// app's largest dependency and only the Terminals page needs them.
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

/** Lines kept above the screen (the server's ring holds 4 MiB by default; this holds more than its lines). */
export const SCROLLBACK_LINES = 50_000;

export interface ViewHandlers {
  /** Ctrl-Shift-F: open the search box. */
  onSearchKey(): void;
  /** A clipboard operation failed (no permission, insecure page): say so. */
  onClipboardError(message: string): void;
}

export interface TerminalView {
  terminal: Terminal;
  /** Fits the columns and rows to the element's size again (call after it resized or became visible). */
  fit(): void;
  /** Highlights the next (or previous) match of `text`; false when there is none. */
  find(text: string, direction: 'next' | 'previous'): boolean;
  clearSearch(): void;
  copySelection(): Promise<void>;
  paste(): Promise<void>;
  /** The whole buffer (scrollback and screen) as text lines, trailing blanks trimmed (tests read it). */
  bufferLines(): string[];
  dispose(): void;
}

/** An interactive terminal in `element`, sized to it. */
export function createTerminalView(element: HTMLElement, handlers: ViewHandlers): TerminalView {
  const terminal = new Terminal({
    scrollback: SCROLLBACK_LINES,
    allowProposedApi: true,
    cursorBlink: true,
    fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace",
    fontSize: 13,
    theme: { background: '#0f1218', foreground: '#d8dee9', cursor: '#d8dee9', selectionBackground: '#3b4a66' },
  });
  const fitAddon = new FitAddon();
  const searchAddon = new SearchAddon();
  terminal.loadAddon(fitAddon);
  terminal.loadAddon(searchAddon);
  terminal.loadAddon(new WebLinksAddon());
  terminal.loadAddon(new Unicode11Addon());
  terminal.unicode.activeVersion = '11';
  terminal.open(element);

  const fit = () => {
    try {
      if (element.offsetWidth > 0 && element.offsetHeight > 0) fitAddon.fit();
    } catch {
      /* not laid out yet */
    }
  };

  const copySelection = async () => {
    const text = terminal.getSelection();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      handlers.onClipboardError(`Copy failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const paste = async () => {
    try {
      const text = await navigator.clipboard.readText();
      // paste() turns newlines into \r and wraps in bracketed-paste marks when the program asked for them.
      if (text) terminal.paste(text);
    } catch (e) {
      handlers.onClipboardError(`Paste failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  terminal.attachCustomKeyEventHandler((ev) => {
    if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey || ev.altKey || ev.metaKey) return true;
    const key = ev.key.toLowerCase();
    if (key === 'c') {
      void copySelection();
    } else if (key === 'v') {
      void paste();
    } else if (key === 'f') {
      handlers.onSearchKey();
    } else {
      return true;
    }
    ev.preventDefault();
    return false;
  });

  // The right button copies a selection, or pastes when nothing is selected (as PuTTY and Windows Terminal do).
  const contextMenu = (ev: MouseEvent) => {
    ev.preventDefault();
    if (terminal.hasSelection()) {
      void copySelection().then(() => terminal.clearSelection());
    } else {
      void paste();
    }
  };
  element.addEventListener('contextmenu', contextMenu);

  const decorations = {
    matchBackground: '#5c4a12',
    activeMatchBackground: '#c98a0b',
    matchOverviewRuler: '#c98a0b',
    activeMatchColorOverviewRuler: '#ffcc00',
  };

  return {
    terminal,
    fit,
    find: (text, direction) =>
      text === ''
        ? false
        : direction === 'next'
          ? searchAddon.findNext(text, { decorations })
          : searchAddon.findPrevious(text, { decorations }),
    clearSearch: () => {
      searchAddon.clearDecorations();
      terminal.clearSelection();
    },
    copySelection,
    paste,
    bufferLines: () => {
      const buffer = terminal.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
      return lines;
    },
    dispose: () => {
      element.removeEventListener('contextmenu', contextMenu);
      terminal.dispose();
    },
  };
}
