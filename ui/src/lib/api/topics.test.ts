import { describe, expect, it } from 'vitest';
import { TopicRegistry, topicOf } from './topics';
import type { ServerMessage } from './ws';

describe('TopicRegistry', () => {
  it('names the topic of a message type', () => {
    expect(topicOf('runs.updated')).toBe('runs');
    expect(topicOf('system.sample')).toBe('system');
    expect(topicOf('jobs.output.chunk')).toBe('jobs');
    expect(topicOf('plain')).toBe('plain');
  });

  it('hands a message of a registered topic to its handler, with the server id', () => {
    const topics = new TopicRegistry();
    const got: [string, ServerMessage][] = [];
    topics.register('runs', (serverId, msg) => got.push([serverId, msg]));
    expect(topics.dispatch('s1', { type: 'runs.removed', id: 'a' })).toBe(true);
    expect(got).toEqual([['s1', { type: 'runs.removed', id: 'a' }]]);
  });

  it('ignores messages of a topic nobody registered, and of a prefix that only looks alike', () => {
    const topics = new TopicRegistry();
    const got: string[] = [];
    topics.register('runs', (_, msg) => got.push(msg.type));
    expect(topics.dispatch('s1', { type: 'jobs.added' })).toBe(false);
    expect(topics.dispatch('s1', { type: 'runsx.added' })).toBe(false);
    expect(topics.dispatch('s1', { type: 'system.sample' })).toBe(false);
    expect(got).toEqual([]);
  });

  it('lists the registered topics in order and forgets a topic whose last handler left', () => {
    const topics = new TopicRegistry();
    const offRuns = topics.register('runs', () => {});
    const offSystem1 = topics.register('system', () => {});
    const offSystem2 = topics.register('system', () => {});
    expect(topics.topics()).toEqual(['runs', 'system']);
    offSystem1();
    expect(topics.topics()).toEqual(['runs', 'system']);
    offSystem2();
    offRuns();
    expect(topics.topics()).toEqual([]);
    expect(topics.dispatch('s', { type: 'runs.added' })).toBe(false);
  });

  it('calls every handler of a topic', () => {
    const topics = new TopicRegistry();
    const calls: string[] = [];
    topics.register('system', () => calls.push('a'));
    topics.register('system', () => calls.push('b'));
    topics.dispatch('s', { type: 'system.sample' });
    expect(calls).toEqual(['a', 'b']);
  });

  it('refuses names that could never match a message', () => {
    const topics = new TopicRegistry();
    expect(() => topics.register('', () => {})).toThrow();
    expect(() => topics.register('runs.added', () => {})).toThrow();
  });
});
