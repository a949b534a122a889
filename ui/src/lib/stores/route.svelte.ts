import { parseHash, type Route } from '../router';

/** Asked before the route changes or the tab closes: a question to confirm (unsaved changes), or null to let it go. */
export type LeaveGuard = () => string | null;

const guards = new Set<LeaveGuard>();

function pendingQuestion(): string | null {
  for (const guard of guards) {
    const question = guard();
    if (question) return question;
  }
  return null;
}

/** The current hash route, updated on `hashchange` unless a leave guard's question was declined. */
class RouteState {
  current = $state<Route>(parseHash(typeof location === 'undefined' ? '' : location.hash));
  private hash = typeof location === 'undefined' ? '' : location.hash;

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('hashchange', () => {
        const question = pendingQuestion();
        if (question && !window.confirm(question)) {
          // Put the old address back without a new history entry (this fires no hashchange).
          history.replaceState(history.state, '', this.hash || location.pathname + location.search);
          return;
        }
        this.hash = location.hash;
        this.current = parseHash(location.hash);
      });
      window.addEventListener('beforeunload', (e) => {
        if (pendingQuestion()) e.preventDefault();
      });
    }
  }
}

export const route = new RouteState();

export function navigate(hash: string): void {
  location.hash = hash.startsWith('#') ? hash : `#${hash}`;
}

/** Registers a guard (a page with unsaved changes); returns its removal. */
export function addLeaveGuard(guard: LeaveGuard): () => void {
  guards.add(guard);
  return () => guards.delete(guard);
}
