// Keyboard shortcuts: one keydown listener on the window, bindings registered by whoever shows
// them (a page while it is open), and the list the `?` help shows. A shortcut never fires while
// the user types: in an input, a textarea, a select, something contenteditable, CodeMirror or xterm.

export interface Shortcut {
  /** `KeyboardEvent.key` values that trigger it ("j", "/", "?", "Enter", "Escape"). */
  keys: string[];
  /** What the help shows for the keys ("j / k"); the keys joined by default. */
  label?: string;
  description: string;
  /** The help's section ("Runs table", "Anywhere"). */
  section: string;
  run: (event: KeyLike) => void;
  /** Only while this holds (e.g. a row is under the cursor). */
  when?: () => boolean;
}

/** The part of a KeyboardEvent the registry reads (a plain object in tests). */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  defaultPrevented?: boolean;
  target?: unknown;
  preventDefault?: () => void;
}

interface ElementLike {
  tagName?: string;
  isContentEditable?: boolean;
  closest?: (selector: string) => unknown;
}

/** Whether keys typed at `target` are text (an input, a textarea, an editor, a terminal). */
export function isTypingTarget(target: unknown): boolean {
  if (!target || typeof target !== 'object') return false;
  const el = target as ElementLike;
  const tag = (el.tagName ?? '').toUpperCase();
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (el.isContentEditable) return true;
  return typeof el.closest === 'function' && el.closest('.cm-editor, .xterm, [contenteditable="true"]') !== null;
}

function isControl(target: unknown): boolean {
  const tag = ((target as ElementLike | null)?.tagName ?? '').toUpperCase();
  return tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY';
}

export class ShortcutRegistry {
  private readonly entries: Shortcut[] = [];
  private readonly listeners = new Set<() => void>();

  /** Adds shortcuts; returns their removal. Later registrations win over earlier ones for a key. */
  register(...shortcuts: Shortcut[]): () => void {
    this.entries.push(...shortcuts);
    this.changed();
    return () => {
      for (const s of shortcuts) {
        const i = this.entries.indexOf(s);
        if (i >= 0) this.entries.splice(i, 1);
      }
      this.changed();
    };
  }

  /** The shortcuts in effect, for the help. */
  list(): readonly Shortcut[] {
    return this.entries;
  }

  /** Calls `listener` whenever shortcuts come or go. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Runs the shortcut for a key press, if one applies; returns whether one did. */
  handle(event: KeyLike): boolean {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return false;
    if (isTypingTarget(event.target)) return false;
    // Enter on a focused button or link is that control's own click.
    if (event.key === 'Enter' && isControl(event.target)) return false;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const s = this.entries[i];
      if (!s.keys.includes(event.key)) continue;
      if (s.when && !s.when()) continue;
      event.preventDefault?.();
      s.run(event);
      return true;
    }
    return false;
  }
}

export const shortcuts = new ShortcutRegistry();

let listening = false;

/** Installs the window's keydown listener once (the app calls it through ShortcutsHelp). */
export function listenForShortcuts(): void {
  if (listening || typeof window === 'undefined') return;
  listening = true;
  window.addEventListener('keydown', (e) => shortcuts.handle(e));
}
