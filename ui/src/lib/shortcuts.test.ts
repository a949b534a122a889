import { describe, expect, it } from 'vitest';
import { isTypingTarget, ShortcutRegistry } from './shortcuts';

const element = (tagName: string, inside: string | null = null) => ({
  tagName,
  isContentEditable: false,
  closest: (selector: string) => (inside && selector.includes(inside) ? {} : null),
});

describe('shortcuts', () => {
  it('knows when keys are typed text', () => {
    expect(isTypingTarget(element('INPUT'))).toBe(true);
    expect(isTypingTarget(element('textarea'))).toBe(true);
    expect(isTypingTarget(element('DIV', '.cm-editor'))).toBe(true);
    expect(isTypingTarget(element('DIV', '.xterm'))).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget(element('BUTTON'))).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });

  it('runs the latest matching shortcut, not while typing, not with modifiers', () => {
    const reg = new ShortcutRegistry();
    const ran: string[] = [];
    reg.register({ keys: ['j'], description: 'down', section: 'a', run: () => ran.push('first') });
    const remove = reg.register({ keys: ['j'], description: 'down', section: 'b', run: () => ran.push('second') });
    let prevented = false;
    expect(reg.handle({ key: 'j', target: element('BODY'), preventDefault: () => (prevented = true) })).toBe(true);
    expect(prevented).toBe(true);
    expect(reg.handle({ key: 'j', target: element('INPUT') })).toBe(false);
    expect(reg.handle({ key: 'j', ctrlKey: true, target: element('BODY') })).toBe(false);
    expect(reg.handle({ key: 'j', target: element('DIV', '.xterm') })).toBe(false);
    remove();
    reg.handle({ key: 'j', target: element('BODY') });
    expect(ran).toEqual(['second', 'first']);
    expect(reg.list().map((s) => s.section)).toEqual(['a']);
  });

  it('skips a shortcut whose condition does not hold', () => {
    const reg = new ShortcutRegistry();
    let on = false;
    reg.register({ keys: ['Enter'], description: 'open', section: 'a', run: () => {}, when: () => on });
    expect(reg.handle({ key: 'Enter' })).toBe(false);
    on = true;
    expect(reg.handle({ key: 'Enter' })).toBe(true);
    // Enter on a focused button is the button's own.
    expect(reg.handle({ key: 'Enter', target: element('BUTTON') })).toBe(false);
  });
});
