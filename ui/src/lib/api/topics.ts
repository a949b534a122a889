import type { ServerMessage } from './ws';

/** Receives one event of its topic from one server. */
export type TopicHandler = (serverId: string, msg: ServerMessage) => void;

/** The topic of a message type: "runs.updated" → "runs" (a type without a dot is its own topic). */
export function topicOf(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}

/**
 * Which WebSocket topics the app listens to, and who handles each. A feature registers its topic
 * once (`topics.register('runs', handler)`); every server's socket subscribes to the registered
 * topics (read again at each authentication, so register before connecting or the topic waits for
 * the next reconnect), and each message goes to the handlers of its topic. Messages of a topic
 * nobody registered are dropped.
 */
export class TopicRegistry {
  private readonly handlers = new Map<string, Set<TopicHandler>>();

  /** Adds a handler for `topic`; returns a function that removes it again. */
  register(topic: string, handler: TopicHandler): () => void {
    if (topic === '' || topic.includes('.')) throw new Error(`Invalid topic name: "${topic}"`);
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(topic) === set) this.handlers.delete(topic);
    };
  }

  /** The topics that have at least one handler, in the order they were first registered. */
  topics(): string[] {
    return [...this.handlers.keys()];
  }

  /** Hands `msg` to the handlers of its topic. Returns false when its topic has none. */
  dispatch(serverId: string, msg: ServerMessage): boolean {
    const set = this.handlers.get(topicOf(msg.type));
    if (!set) return false;
    for (const handler of [...set]) handler(serverId, msg);
    return true;
  }
}
