// The only code that talks to a server: the generic transport (client.ts, ws.ts) and one module of
// calls per feature (auth, server, runs, trash, system). Import a feature's calls from its module.
export * from './types';
export * from './errors';
export * from './url';
export { ServerClient, type FetchLike, type ClientOptions, type RequestOptions, type UnauthorizedMeans } from './client';
export {
  WsConnection,
  backoffDelay,
  CLOSE_AUTH,
  type ConnState,
  type ServerMessage,
  type SocketLike,
  type SocketFactory,
  type TopicList,
} from './ws';
export { TopicRegistry, topicOf, type TopicHandler } from './topics';
