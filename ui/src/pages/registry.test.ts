import { describe, expect, it } from 'vitest';
import { parseHash } from '../lib/router';
import { filesHref } from '../lib/files/paths';
import Compare from './compare/Compare.svelte';
import FilesPage from './files/FilesPage.svelte';
import { HOME_PAGE_ID, NOT_FOUND, PAGES, navItems, resolvePage, type PageEntry } from './registry';
import RunPage from './run/RunPage.svelte';
import SystemPage from './system/SystemPage.svelte';

const at = (hash: string) => resolvePage(PAGES, parseHash(hash));

describe('page registry', () => {
  it('builds the nav from the entries marked nav, in registry order', () => {
    expect(navItems(PAGES)).toEqual([
      { id: 'overview', title: 'Overview', href: '#/overview' },
      { id: 'jobs', title: 'Jobs', href: '#/jobs' },
      { id: 'projects', title: 'Projects', href: '#/projects' },
      { id: 'terminals', title: 'Terminals', href: '#/terminals' },
      { id: 'system', title: 'System', href: '#/system' },
      { id: 'servers', title: 'Servers', href: '#/servers' },
    ]);
  });

  it('gives every page its own id and no nav entry a parent', () => {
    const ids = PAGES.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(NOT_FOUND.id);
    const navIds = new Set(navItems(PAGES).map((n) => n.id));
    for (const p of PAGES) {
      if (p.nav) expect(p.navUnder).toBeUndefined();
      else if (p.navUnder !== undefined) expect(navIds.has(p.navUnder)).toBe(true);
    }
  });

  it('a page added to a list shows up in that list\'s nav and routes', () => {
    const extra: PageEntry = { ...NOT_FOUND, id: 'jobs2', title: 'More jobs', nav: true };
    const pages = [...PAGES, extra];
    expect(navItems(pages).at(-1)).toEqual({ id: 'jobs2', title: 'More jobs', href: '#/jobs2' });
    expect(resolvePage(pages, parseHash('#/jobs2')).page).toBe(extra);
    expect(resolvePage(PAGES, parseHash('#/jobs2')).page).toBe(NOT_FOUND);
  });

  it('routes an empty hash to the home page', () => {
    for (const hash of ['', '#', '#/']) {
      const r = at(hash);
      expect(r.page.id).toBe(HOME_PAGE_ID);
      expect(r.navActive).toBe(HOME_PAGE_ID);
    }
  });

  it('routes hashes to their pages with props taken from the route', () => {
    const run = at('#/run/srv-1/abc%20d');
    expect(run.page.component).toBe(RunPage);
    expect(run.props).toEqual({ serverId: 'srv-1', runId: 'abc d' });
    expect(run.navActive).toBe('overview');

    const compare = at('#/compare?runs=a:1,b:2');
    expect(compare.page.component).toBe(Compare);
    expect(compare.props).toEqual({ refs: [{ serverId: 'a', runId: '1' }, { serverId: 'b', runId: '2' }] });

    expect(at('#/system').props).toEqual({ serverId: null });
    const system = at('#/system/srv-2');
    expect(system.page.component).toBe(SystemPage);
    expect(system.props).toEqual({ serverId: 'srv-2' });
    expect(system.navActive).toBe('system');
    expect(at('#/trash/srv-2').props).toEqual({ serverId: 'srv-2' });
    expect(at('#/trash/srv-2').navActive).toBe('overview');
  });

  it('routes the jobs list, one server\'s jobs and a job\'s page', () => {
    // Bad input: a job id that is not a number, a route with a segment too many.
    expect(at('#/jobs').props).toEqual({ serverId: null, jobId: null });
    expect(at('#/jobs/srv-1').props).toEqual({ serverId: 'srv-1', jobId: null });
    expect(at('#/jobs/srv-1/42').props).toEqual({ serverId: 'srv-1', jobId: 42 });
    expect(at('#/jobs/srv-1/42').navActive).toBe('jobs');
    expect(at('#/jobs/srv-1/4x').page).toBe(NOT_FOUND);
    expect(at('#/jobs/srv-1/42/more').page).toBe(NOT_FOUND);
    expect(at('#/jobs').key).toBe(at('#/jobs/srv-1').key);
    expect(at('#/jobs/srv-1/42').key).not.toBe(at('#/jobs/srv-1/43').key);
  });

  it('routes the projects list and a root\'s file browser, with the selection from ?path=', () => {
    // Bad input: a root of an unknown kind, a missing root, a segment too many; a path with spaces and slashes.
    expect(at('#/projects').props).toEqual({ serverId: null });
    expect(at('#/projects/srv-1').props).toEqual({ serverId: 'srv-1' });
    const files = at(filesHref('srv-1', 'project:my proj', 'src/a b.py'));
    expect(files.page.component).toBe(FilesPage);
    expect(files.props).toEqual({ serverId: 'srv-1', root: 'project:my proj', path: 'src/a b.py' });
    expect(files.navActive).toBe('projects');
    expect(at('#/files/srv-1/run%3Aabc').props).toEqual({ serverId: 'srv-1', root: 'run:abc', path: '' });
    expect(at('#/files/srv-1/job%3A7').props).toMatchObject({ root: 'job:7' });
    expect(at('#/files/srv-1/disk%3A%2Fetc').page).toBe(NOT_FOUND);
    expect(at('#/files/srv-1').page).toBe(NOT_FOUND);
    expect(at('#/files/srv-1/run%3Aa/b').page).toBe(NOT_FOUND);
    // Moving the selection keeps the page (and its tree); another root is a new page.
    expect(at(filesHref('s', 'project:p', 'a')).key).toBe(at(filesHref('s', 'project:p', 'b/c')).key);
    expect(at(filesHref('s', 'project:p')).key).not.toBe(at(filesHref('s', 'project:q')).key);
  });

  it('keeps a page across its own routes unless its key changes', () => {
    expect(at('#/system/a').key).toBe(at('#/system/b').key);
    expect(at('#/run/s/a').key).not.toBe(at('#/run/s/b').key);
    expect(at('#/run/s/a').key).not.toBe(at('#/run/t/a').key);
    expect(at('#/overview').key).not.toBe(at('#/servers').key);
  });

  it('falls back to the not-found page for an unknown route, lighting no nav entry', () => {
    const r = at('#/no-such-page/x');
    expect(r.page).toBe(NOT_FOUND);
    expect(r.props).toEqual({});
    expect(navItems(PAGES).map((n) => n.id)).not.toContain(r.navActive);
  });

  it('falls back to the not-found page when a known page cannot use the rest of the route', () => {
    expect(at('#/run').page).toBe(NOT_FOUND);
    expect(at('#/run/only-server').page).toBe(NOT_FOUND);
    expect(at('#/run/only-server').key).not.toBe(at('#/run/s/a').key);
  });
});
