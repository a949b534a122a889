// xterm.js set up the way the app shows program output: read-only, ANSI colours, `\r` redraws a
// line (progress bars), `\n` starts one (output from a pipe has no `\r\n`), a long scrollback.
// Import this module lazily (`await import('…/terminal')`): xterm.js is the app's largest
// dependency and only pages with a terminal need it.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

/** Lines kept above the screen. */
export const SCROLLBACK_LINES = 20_000;

export interface OutputView {
  terminal: Terminal;
  /** Fits the columns and rows to the element's size again (call after it resized). */
  fit(): void;
  dispose(): void;
}

/** A read-only terminal in `element`, sized to it. */
export function createOutputView(element: HTMLElement): OutputView {
  const terminal = new Terminal({
    scrollback: SCROLLBACK_LINES,
    convertEol: true,
    disableStdin: true,
    cursorBlink: false,
    cursorInactiveStyle: 'none',
    fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace",
    fontSize: 12,
    theme: { background: '#0f1218', foreground: '#d8dee9', cursor: '#0f1218' },
  });
  const fitAddon = new FitAddon();
  terminal.loadAddon(fitAddon);
  terminal.open(element);
  const fit = () => {
    try {
      fitAddon.fit();
    } catch {
      /* not laid out yet */
    }
  };
  fit();
  return {
    terminal,
    fit,
    dispose: () => terminal.dispose(),
  };
}
