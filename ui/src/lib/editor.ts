// CodeMirror 6 set up for the files page: line numbers, history, search, bracket matching, a
// syntax mode per language (each mode its own chunk, loaded when a file of it opens), Ctrl-S, a
// read-only switch, and the conflict view (theirs against mine) from @codemirror/merge.
// Import this module lazily (`await import('…/editor')`): CodeMirror is its own chunk.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, foldGutter, indentOnInput, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { MergeView } from '@codemirror/merge';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, type Extension, Text } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import type { Language } from './files/kinds';

/** The syntax mode of a language, loaded on first use. */
export async function languageExtension(language: Language): Promise<Extension> {
  switch (language) {
    case 'python':
      return (await import('@codemirror/lang-python')).python();
    case 'cpp':
      return (await import('@codemirror/lang-cpp')).cpp();
    case 'shell':
      return StreamLanguage.define((await import('@codemirror/legacy-modes/mode/shell')).shell);
    case 'json':
      return (await import('@codemirror/lang-json')).json();
    case 'yaml':
      return (await import('@codemirror/lang-yaml')).yaml();
    case 'markdown':
      return (await import('@codemirror/lang-markdown')).markdown();
    case 'javascript':
      return (await import('@codemirror/lang-javascript')).javascript({ jsx: true });
    case 'typescript':
      return (await import('@codemirror/lang-javascript')).javascript({ typescript: true, jsx: true });
    default:
      return [];
  }
}

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '12.5px', backgroundColor: 'var(--panel)', color: 'var(--text)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--panel-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent) 6%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 12%, transparent)' },
  '&.cm-focused': { outline: 'none' },
});

function basics(language: Extension): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
    theme,
    language,
  ];
}

export interface EditorOptions {
  text: string;
  language: Language;
  readOnly: boolean;
  /** Called after every change with whether the text differs from the last `markSaved`/`setText`. */
  onDirty: (dirty: boolean) => void;
  /** Ctrl-S / Cmd-S. */
  onSave: () => void;
}

export interface CodeEditor {
  readonly view: EditorView;
  getText(): string;
  /** Replaces the text (a new load, theirs taken); it becomes the saved text. */
  setText(text: string): void;
  /** The current text is what the server now holds. */
  markSaved(text: string): void;
  setReadOnly(readOnly: boolean): void;
  focus(): void;
  destroy(): void;
}

export async function createEditor(parent: HTMLElement, options: EditorOptions): Promise<CodeEditor> {
  const language = await languageExtension(options.language);
  const readOnly = new Compartment();
  let saved = Text.of(options.text.split('\n'));
  let dirty = false;
  const report = (doc: Text) => {
    const now = !doc.eq(saved);
    if (now !== dirty) {
      dirty = now;
      options.onDirty(now);
    }
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => (options.onSave(), true) }]),
        ...basics(language),
        readOnly.of([EditorState.readOnly.of(options.readOnly), EditorView.editable.of(!options.readOnly)]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) report(update.state.doc);
        }),
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text: string) {
      saved = Text.of(text.split('\n'));
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      report(view.state.doc);
    },
    markSaved(text: string) {
      saved = Text.of(text.split('\n'));
      report(view.state.doc);
    },
    setReadOnly(value: boolean) {
      view.dispatch({ effects: readOnly.reconfigure([EditorState.readOnly.of(value), EditorView.editable.of(!value)]) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

export interface ConflictView {
  /** The right side: the user's text, as edited in the view. */
  getMine(): string;
  destroy(): void;
}

/** Theirs (left, read-only) against mine (right, editable), changes marked. */
export async function createConflictView(parent: HTMLElement, theirs: string, mine: string, languageName: Language): Promise<ConflictView> {
  const language = await languageExtension(languageName);
  const common = [lineNumbers(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }), theme, language];
  const merge = new MergeView({
    parent,
    a: { doc: theirs, extensions: [...common, EditorState.readOnly.of(true), EditorView.editable.of(false)] },
    b: { doc: mine, extensions: [...common, history(), keymap.of([...defaultKeymap, ...historyKeymap])] },
    collapseUnchanged: { margin: 3, minSize: 6 },
    gutter: true,
  });
  return {
    getMine: () => merge.b.state.doc.toString(),
    destroy: () => merge.destroy(),
  };
}
