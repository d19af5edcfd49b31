// The typed API client (generated from the served OpenAPI document, see schema.d.ts) and the
// browser session: the access token lives only in this module's memory; the refresh token in
// an HttpOnly cookie the page cannot read (X-Session-Mode: cookie). A 401 triggers one
// refresh and one retry; tabs take turns refreshing (Web Locks), so two tabs never spend the
// same cookie at once, and the server's grace period covers the rest.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Me = Schemas['UserView'];

let accessToken: string | null = null;
let me = $state<{ user: Me | null }>({ user: null });

export const session = {
  get user(): Me | null {
    return me.user;
  },
};

export const SESSION_HEADERS = { 'X-Session-Mode': 'cookie' } as const;

function signedIn(pair: Schemas['TokenPair']) {
  accessToken = pair.access_token;
  me.user = pair.user;
}

/** A login's answer: signed in, or the second step to take. */
export type LoginAnswer = Schemas['TokenPair'] | Schemas['MfaRequired'];

export function needsSecondFactor(answer: LoginAnswer): answer is Schemas['MfaRequired'] {
  return 'mfa_required' in answer && answer.mfa_required === true;
}

/** Keeps the session an answer carries (a provider's code exchanged, a second factor, a
 * passkey); a second step's answer keeps nothing yet. */
export function keepSession(answer: LoginAnswer) {
  if (!needsSecondFactor(answer)) signedIn(answer);
}

function signedOut() {
  accessToken = null;
  me.user = null;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken && !request.url.includes('/api/v1/auth/')) {
      request.headers.set('Authorization', `Bearer ${accessToken}`);
    }
    return request;
  },
};

/** The bearer header for a request the typed client cannot make (the live stream). */
export function bearer(): Record<string, string> {
  return accessToken ? { Authorization: `Bearer ${accessToken}` } : {};
}

export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh cookie for a new access token; one refresh at a time per tab and,
 * where the browser has Web Locks, across tabs. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const run = async () => {
      const { data } = await api.POST('/api/v1/auth/refresh', {
        headers: SESSION_HEADERS,
      });
      if (data) signedIn(data);
      else signedOut();
      return Boolean(data);
    };
    try {
      return navigator.locks ? await navigator.locks.request('devforum-refresh', run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Calls `request`; on a 401 with a session, refreshes once and calls it again. */
export async function withSession<T extends { response: Response }>(
  request: () => Promise<T>,
): Promise<T> {
  const first = await request();
  if (first.response.status !== 401 || !me.user) return first;
  // A refresh that could not reach the server leaves the session as it was.
  const renewed = await refresh().catch(() => false);
  return renewed ? request() : first;
}

export async function login(login: string, password: string) {
  const result = await api.POST('/api/v1/auth/login', {
    headers: SESSION_HEADERS,
    body: { login, password },
  });
  if (result.data) keepSession(result.data as LoginAnswer);
  return result;
}

export async function logout() {
  await api.POST('/api/v1/auth/logout', { headers: SESSION_HEADERS });
  signedOut();
  announceLogout();
}

/** The session ended on the server (signed out everywhere, account deleted): forget it here
 * and in every tab. */
export function endSession() {
  signedOut();
  announceLogout();
}

// Logging out in one tab ends the session in every tab.
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('devforum');
function announceLogout() {
  channel?.postMessage('logout');
}
channel?.addEventListener('message', (event) => {
  if (event.data === 'logout') signedOut();
});

/** The words a failed call should show: the problem's detail (with when to try again, when
 * the answer says), and field errors by field. */
export function problemOf(result: { error?: unknown; response: Response }): {
  detail: string;
  fields: Record<string, string[]>;
} {
  const problem = (result.error ?? {}) as Partial<Problem>;
  const fields = (problem.errors ?? {}) as Record<string, string[]>;
  const detail = sentence(problem.code ?? '', problem.detail, fields, result.response.status);
  const retry = result.response.headers.get('Retry-After');
  return {
    detail: retry ? `${detail} Try again in ${waitFor(Number(retry))}.` : detail,
    fields,
  };
}

/** What a refusal says to a person: the server's detail, except where it speaks to programs
 * (a validation failure points at its `errors`; those are listed by field instead). */
export function sentence(
  code: string,
  detail: string | undefined,
  fields: Record<string, string[]>,
  status: number,
): string {
  const named = Object.entries(fields).filter(([, messages]) => messages.length);
  if (code === 'validation_failed' || named.length) {
    if (!named.length) return 'Something in the form needs another look.';
    const parts = named.map(([field, messages]) => `${fieldName(field)} ${messages[0]}`);
    return `Please check the form: ${parts.join('; ')}.`;
  }
  if (detail) return detail;
  if (status === 401) return 'Please log in again to go on.';
  if (status === 403) return 'You may not do that.';
  if (status === 404) return 'It is not there any more: it may have been deleted.';
  if (status === 429) return 'That was a lot at once; wait a moment and try again.';
  if (status >= 500) return 'Something went wrong on our side; try again in a moment.';
  return 'Something went wrong; try again.';
}

/** `last_read_reply_id` → "Last read reply id". */
function fieldName(field: string): string {
  const words = field.replace(/[_.]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function waitFor(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 60) return `${Math.max(1, Math.round(seconds || 1))} seconds`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}

export type Outcome<T> =
  | { data: T; problem: null }
  | { data: null; problem: { detail: string; fields: Record<string, string[]>; code: string } };

/** One call on the member's session: the answer's data, or the problem in words. Answers
 * without a body (204) count as success with `data` undefined. */
export async function act<T>(
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  const result = await withSession(request);
  if (result.response.ok) return { data: result.data as T, problem: null };
  const code = ((result.error ?? {}) as Partial<Problem>).code ?? '';
  return { data: null, problem: { ...problemOf(result), code } };
}

/** Whether the signed-in member is staff (moderator or admin). */
export function isStaff(): boolean {
  const role = me.user?.role;
  return role === 'moderator' || role === 'admin';
}

/** After a profile change: the header and pages show the member as saved. */
export function refreshUser(user: Me) {
  me.user = user;
}
