// Authentication calls: log in (the answer's token becomes the client's) and log out.
import type { ServerClient } from './client';
import type { LoginResponse } from './types';

/** POST /login. A wrong user or password is an ApiError 401 and leaves the client's token as it was. */
export async function login(client: ServerClient, user: string, password: string): Promise<LoginResponse> {
  const answer = await client.post<LoginResponse>('/login', { user, password }, { unauthorized: 'credentials-rejected' });
  client.token = answer.token;
  return answer;
}

/** POST /logout (when there is a token); the token is forgotten even when the call fails. */
export async function logout(client: ServerClient): Promise<void> {
  try {
    if (client.token) await client.post('/logout');
  } finally {
    client.forgetToken();
  }
}
