// The open terminal tabs of this browser, across servers: which terminals (server id + terminal
// id) have a tab, in order, and which tab is shown. Kept in localStorage so a reload opens the same
// tabs (each re-attaches and gets its screen and scrollback back from its server). A tab is only a
// view: closing it leaves the terminal running (the Terminals page lists it to open it again).
import type { StorageLike } from './servers.svelte';

export interface TerminalTab {
  serverId: string;
  id: string;
}

export const TABS_STORAGE_KEY = 'ailab.terminals.tabs';

export function tabKey(tab: TerminalTab): string {
  return `${tab.serverId}\u0000${tab.id}`;
}

export class TerminalTabsStore {
  tabs = $state<TerminalTab[]>([]);
  /** The key of the shown tab (tabKey), or null. */
  active = $state<string | null>(null);

  constructor(private readonly storage: StorageLike | null) {
    this.load();
  }

  private load(): void {
    try {
      const parsed = JSON.parse(this.storage?.getItem(TABS_STORAGE_KEY) ?? 'null') as { tabs?: unknown; active?: unknown } | null;
      const list = Array.isArray(parsed?.tabs) ? parsed.tabs : [];
      this.tabs = list.filter(
        (t): t is TerminalTab => typeof t === 'object' && t !== null && typeof t.serverId === 'string' && typeof t.id === 'string',
      );
      this.active = typeof parsed?.active === 'string' && this.tabs.some((t) => tabKey(t) === parsed.active) ? parsed.active : null;
    } catch {
      this.tabs = [];
      this.active = null;
    }
  }

  private save(): void {
    try {
      this.storage?.setItem(TABS_STORAGE_KEY, JSON.stringify({ tabs: this.tabs, active: this.active }));
    } catch {
      /* storage full or refused: the tabs last for this page only */
    }
  }

  has(tab: TerminalTab): boolean {
    return this.tabs.some((t) => tabKey(t) === tabKey(tab));
  }

  /** Opens a tab for the terminal (once) and shows it. */
  open(tab: TerminalTab): void {
    if (!this.has(tab)) this.tabs = [...this.tabs, { serverId: tab.serverId, id: tab.id }];
    this.active = tabKey(tab);
    this.save();
  }

  /** Closes the tab (the terminal keeps running); shows its neighbour when it was shown. */
  close(tab: TerminalTab): void {
    const key = tabKey(tab);
    const index = this.tabs.findIndex((t) => tabKey(t) === key);
    if (index < 0) return;
    this.tabs = this.tabs.filter((t) => tabKey(t) !== key);
    if (this.active === key) {
      const next = this.tabs[Math.min(index, this.tabs.length - 1)];
      this.active = next ? tabKey(next) : null;
    }
    this.save();
  }

  show(tab: TerminalTab): void {
    if (!this.has(tab)) return;
    this.active = tabKey(tab);
    this.save();
  }

  /** Drops the tabs of a removed server. */
  removeServer(serverId: string): void {
    for (const t of this.tabs.filter((t) => t.serverId === serverId)) this.close(t);
  }
}

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const terminalTabs = new TerminalTabsStore(browserStorage());
