/**
 * Who is logged in (GET /me), the wallet as the `me` channel keeps it, and the page's one live client.
 */
import { api, ApiError } from './api.js';
import { LiveClient, liveUrl, type ConnectionInfo } from './live.js';
import { Store } from './store.js';
import type { PublicUser, Wallet } from './types.js';

export interface SessionState {
  loaded: boolean;
  user: PublicUser | null;
  wallet: Wallet | null;
}

export const session = new Store<SessionState>({ loaded: false, user: null, wallet: null });

/** The one socket of the page (docs/realtime.md): the session cookie authenticates it at the upgrade. */
export const live = new LiveClient(liveUrl(location), globalThis.WebSocket, {
  onWarning: (message, err) => console.debug('[live]', message, err ?? ''),
});

export const connection = new Store<ConnectionInfo>(live.connection);
live.onConnection((info) => connection.set(info));

/**
 * Whether this browser may have a session: the cookie is httpOnly, so a flag remembers a login and
 * anonymous visitors never ask GET /me (and never see a 401 for it).
 */
const HINT_KEY = 'lendbook.session';
function hint(value?: boolean): boolean {
  try {
    if (value === true) localStorage.setItem(HINT_KEY, '1');
    else if (value === false) localStorage.removeItem(HINT_KEY);
    return localStorage.getItem(HINT_KEY) === '1';
  } catch {
    return true;
  }
}

export async function loadSession(): Promise<PublicUser | null> {
  if (!hint()) {
    session.update({ loaded: true, user: null, wallet: null });
    return null;
  }
  try {
    const user = await api.me();
    session.update({ loaded: true, user });
    return user;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      hint(false);
      session.update({ loaded: true, user: null, wallet: null });
      return null;
    }
    session.update({ loaded: true });
    throw err;
  }
}

/** After login or logout the socket must be opened again: identity is decided at the upgrade. */
export function sessionChanged(user: PublicUser | null): void {
  hint(user !== null);
  session.update({ user, wallet: null, loaded: true });
  live.reconnect();
}

export function hasRole(...roles: PublicUser['role'][]): boolean {
  const u = session.value.user;
  return !!u && roles.includes(u.role);
}
