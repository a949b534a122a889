// Every page of the app in one list: App.svelte builds the top nav and the routes from it.
// Adding a page is its folder under pages/ plus one `page({...})` line below.
import type { Component } from 'svelte';
import { href, parseCompareRuns, type Route } from '../lib/router';
import Compare from './compare/Compare.svelte';
import FilesPage from './files/FilesPage.svelte';
import Jobs from './jobs/Jobs.svelte';
import NotFound from './notfound/NotFound.svelte';
import Overview from './overview/Overview.svelte';
import Projects from './projects/Projects.svelte';
import RunPage from './run/RunPage.svelte';
import Servers from './servers/Servers.svelte';
import SystemPage from './system/SystemPage.svelte';
import TerminalsPage from './terminals/LazyTerminalsPage.svelte';
import Trash from './trash/Trash.svelte';

type Props = Record<string, unknown>;

export interface PageEntry {
  /** The first segment of the page's hash route (`#/<id>/…`); also the nav entry's `nav-<id>` test id. */
  readonly id: string;
  /** The nav label. */
  readonly title: string;
  /** Listed in the top nav (in registry order). */
  readonly nav: boolean;
  /** For a page outside the nav: the nav entry highlighted while it is open. */
  readonly navUnder?: string;
  /** Props are checked where the entry is written (see `page` below); the list holds them erased. */
  readonly component: Component<any>;
  /** The component's props for a route whose first segment is `id`; null when the rest of the route does not fit (not found). */
  readonly props: (route: Route) => Props | null;
  /** The page is created anew when this changes; otherwise it stays and gets new props. */
  readonly key: (route: Route) => string;
}

interface PageSpec<P extends Props> {
  id: string;
  title: string;
  nav: boolean;
  navUnder?: string;
  component: Component<P>;
  props?: (route: Route) => P | null;
  key?: (route: Route) => string;
}

/** One registry entry; ties `props` to the component's own props type. */
function page<P extends Props>(spec: PageSpec<P>): PageEntry {
  return {
    id: spec.id,
    title: spec.title,
    nav: spec.nav,
    navUnder: spec.navUnder,
    component: spec.component,
    props: spec.props ?? (() => ({}) as P),
    key: spec.key ?? (() => ''),
  };
}

/** The page an empty route (`#/`) shows. */
export const HOME_PAGE_ID = 'overview';

/** The page shown for a route no entry matches. */
export const NOT_FOUND = page({ id: 'not-found', title: 'No such page', nav: false, component: NotFound });

export const PAGES: readonly PageEntry[] = [
  page({ id: 'overview', title: 'Overview', nav: true, component: Overview }),
  page({
    id: 'run',
    title: 'Run',
    nav: false,
    navUnder: 'overview',
    component: RunPage,
    props: ({ parts }) => (parts[1] && parts[2] ? { serverId: parts[1], runId: parts[2] } : null),
    key: ({ parts }) => `${parts[1]}/${parts[2]}`,
  }),
  page({
    id: 'compare',
    title: 'Compare',
    nav: false,
    navUnder: 'overview',
    component: Compare,
    props: ({ query }) => ({ refs: parseCompareRuns(query.get('runs')) }),
  }),
  page({
    id: 'trash',
    title: 'Trash',
    nav: false,
    navUnder: 'overview',
    component: Trash,
    props: ({ parts }) => ({ serverId: parts[1] ?? null }),
  }),
  page({
    id: 'jobs',
    title: 'Jobs',
    nav: true,
    component: Jobs,
    // #/jobs (every server), #/jobs/<server> (one server), #/jobs/<server>/<job id> (a job's page).
    props: ({ parts }) => {
      if (parts.length > 3) return null;
      const jobId = parts[2] === undefined ? null : /^[0-9]+$/.test(parts[2]) ? Number(parts[2]) : NaN;
      if (Number.isNaN(jobId)) return null;
      return { serverId: parts[1] ?? null, jobId };
    },
    // The list stays across its server tabs (keeping its filter); each job's page is its own.
    key: ({ parts }) => (parts[2] === undefined ? 'list' : `${parts[1]}/${parts[2]}`),
  }),
  page({
    id: 'projects',
    title: 'Projects',
    nav: true,
    component: Projects,
    props: ({ parts }) => (parts.length > 2 ? null : { serverId: parts[1] ?? null }),
  }),
  page({
    id: 'files',
    title: 'Files',
    nav: false,
    navUnder: 'projects',
    component: FilesPage,
    // #/files/<server>/<root>?path=<folder or file>: a root is project:<name>, run:<id> or job:<id>.
    props: ({ parts, query }) =>
      parts.length === 3 && /^(project|run|job):./.test(parts[2]) ? { serverId: parts[1], root: parts[2], path: query.get('path') ?? '' } : null,
    // The tree stays while the selection moves inside one root.
    key: ({ parts }) => `${parts[1]}/${parts[2]}`,
  }),
  page({
    id: 'terminals',
    title: 'Terminals',
    nav: true,
    component: TerminalsPage,
    // #/terminals (the open tabs), #/terminals/<server>/<terminal id> (that terminal's tab, opened when closed).
    props: ({ parts }) =>
      parts.length === 1 ? { serverId: null, terminalId: null } : parts.length === 3 ? { serverId: parts[1], terminalId: parts[2] } : null,
    // One page for every tab: its terminals stay attached while the route moves between them.
    key: () => 'all',
  }),
  page({
    id: 'system',
    title: 'System',
    nav: true,
    component: SystemPage,
    props: ({ parts }) => ({ serverId: parts[1] ?? null }),
  }),
  page({ id: 'servers', title: 'Servers', nav: true, component: Servers }),
];

export interface NavItem {
  id: string;
  title: string;
  href: string;
}

/** The top nav: the entries with `nav`, in registry order. */
export function navItems(pages: readonly PageEntry[]): NavItem[] {
  return pages.filter((p) => p.nav).map((p) => ({ id: p.id, title: p.title, href: href(p.id) }));
}

export interface ResolvedPage {
  page: PageEntry;
  props: Props;
  /** Changes exactly when the page must be created anew. */
  key: string;
  /** The nav entry to highlight: the page's own id, its `navUnder`, or for an unknown route the route's first segment (so none lights up). */
  navActive: string;
}

/** The page for a route: its entry and props, or NOT_FOUND when no entry matches. */
export function resolvePage(pages: readonly PageEntry[], route: Route): ResolvedPage {
  const id = route.parts[0] ?? HOME_PAGE_ID;
  const entry = pages.find((p) => p.id === id);
  const navActive = entry?.navUnder ?? id;
  const props = entry ? entry.props(route) : null;
  if (!entry || props === null) return { page: NOT_FOUND, props: {}, key: NOT_FOUND.id, navActive };
  return { page: entry, props, key: `${entry.id}/${entry.key(route)}`, navActive };
}
