import { errorMessage } from '../api/errors';
import * as runsApi from '../api/runs';
import * as systemApi from '../api/system';
import { JobsStore, registerJobsTopic } from './jobs.svelte';
import { registerRunsTopic, RunsStore } from './runs.svelte';
import { ServersStore, type StorageLike } from './servers.svelte';
import { registerSystemTopic, SystemStore } from './system.svelte';

/** The stores of the app, wired to each other. One instance per page (see `app` below). */
export class AppStores {
  readonly servers: ServersStore;
  readonly runs = new RunsStore();
  readonly system = new SystemStore();
  readonly jobs: JobsStore;
  private readonly lastRunsLoad = new Map<string, number>();

  constructor(servers: ServersStore) {
    this.servers = servers;
    this.jobs = new JobsStore((id) => servers.client(id));
    // Each feature's store handles its own WebSocket topic; the sockets subscribe to these.
    registerRunsTopic(servers.topics, this.runs);
    registerSystemTopic(servers.topics, this.system);
    registerJobsTopic(servers.topics, this.jobs);
    servers.onReady((id) => {
      // (Re)connected: events may have been missed, so reload what the server has.
      void this.loadRuns(id, true);
      void this.loadSystem(id);
      // The jobs lists are loaded only once a Jobs page asked for them.
      if (this.jobs.watched(id)) void this.jobs.load(id);
    });
    servers.onRemoved((id) => {
      this.runs.removeServer(id);
      this.system.removeServer(id);
      this.jobs.removeServer(id);
    });
  }

  /** GET /runs of one server into the runs store. Skipped when loaded in the last 2 s unless forced. */
  async loadRuns(serverId: string, force = false): Promise<void> {
    const client = this.servers.client(serverId);
    if (!client || !client.token) return;
    const last = this.lastRunsLoad.get(serverId) ?? 0;
    if (!force && Date.now() - last < 2000) return;
    this.lastRunsLoad.set(serverId, Date.now());
    try {
      // The four lists in parallel; the rows are shown as soon as they arrive, the params,
      // annotations and values (smaller, for columns and filters) fill in when theirs do.
      const alive = () => this.servers.get(serverId) !== undefined;
      const extras = Promise.all([
        runsApi
          .listParams(client)
          .then((a) => alive() && this.runs.setServerParams(serverId, a.params ?? {}))
          .catch(() => undefined),
        runsApi
          .listAnnotations(client)
          .then((a) => alive() && this.runs.setServerAnnotations(serverId, a.annotations ?? {}))
          .catch(() => undefined),
        runsApi
          .listValues(client)
          .then((v) => alive() && this.runs.setServerValues(serverId, v))
          .catch(() => undefined),
      ]);
      const answer = await runsApi.listRuns(client);
      if (alive()) this.runs.setServerRuns(serverId, answer.runs ?? []);
      await extras;
    } catch (e) {
      this.runs.setError(serverId, errorMessage(e));
    }
  }

  async loadSystem(serverId: string): Promise<void> {
    const client = this.servers.client(serverId);
    if (!client || !client.token) return;
    try {
      const sample = await systemApi.getSystem(client);
      if (!this.servers.get(serverId)) return;
      this.system.push(serverId, sample);
      if (!sample.cluster) {
        const history = await systemApi.getHistory(client, '1h');
        this.system.seed(serverId, history);
      }
    } catch (e) {
      this.system.setError(serverId, errorMessage(e));
    }
  }

  /** Connects every server with a token and loads its data over HTTP right away. */
  start(): void {
    this.servers.connectAll();
    for (const e of this.servers.list) {
      if (this.servers.hasValidToken(e)) {
        void this.loadRuns(e.id);
        void this.loadSystem(e.id);
      }
    }
  }

  /** After a login: connect and load one server. */
  started(serverId: string): void {
    void this.loadRuns(serverId, true);
    void this.loadSystem(serverId);
  }
}

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const app = new AppStores(new ServersStore({ storage: browserStorage() }));
