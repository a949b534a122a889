export * from './types';
export * from './errors';
export * from './url';
export { ServerClient, isAilabServer, type FetchLike, type ClientOptions } from './client';
export { WsConnection, backoffDelay, CLOSE_AUTH, type ConnState, type SocketLike, type SocketFactory } from './ws';
