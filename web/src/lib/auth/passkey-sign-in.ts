// Signing in with a passkey: the server's options, the browser's passkey, the server's answer.
import { api, keepSession, problemOf, SESSION_HEADERS, type LoginAnswer } from '../api/client.svelte';
import { passkeysSupported, usePasskey } from './webauthn';

/** Signs in with a passkey; '' when signed in, else what went wrong, in words. */
export async function signInWithPasskey(): Promise<string> {
  if (!passkeysSupported()) return 'This browser cannot use passkeys.';
  const start = await api.POST('/api/v1/auth/passkey/start');
  if (!start.data) return problemOf(start).detail;
  let credential;
  try {
    credential = await usePasskey(start.data.options as Record<string, unknown>);
  } catch {
    return 'No passkey was used. Try again, or sign in another way.';
  }
  const finish = await api.POST('/api/v1/auth/passkey/finish', {
    headers: SESSION_HEADERS,
    // The credential is the W3C JSON form the server reads.
    body: { challenge_id: start.data.challenge_id, credential: credential as Record<string, never> },
  });
  if (!finish.data) return problemOf(finish).detail;
  keepSession(finish.data as LoginAnswer);
  return '';
}
