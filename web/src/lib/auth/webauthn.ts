// Passkeys in the browser: the server's options (webauthn-rs, base64url strings where the
// browser wants bytes) turned into what navigator.credentials takes, and the credential it
// returns turned back into the W3C JSON forms the server reads. Written out rather than
// relying on PublicKeyCredential.parse…FromJSON / toJSON, which older browsers lack.

function toBytes(base64url: string): ArrayBuffer {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64url(buffer: ArrayBuffer | null): string | null {
  if (!buffer) return null;
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type Json = Record<string, unknown>;

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && 'PublicKeyCredential' in window && !!navigator.credentials;
}

/** Creates a passkey from `POST /users/me/passkeys/register/start`'s options. */
export async function createPasskey(options: Json): Promise<Json> {
  const publicKey = structuredClone(options.publicKey) as Json & {
    challenge: string;
    user: Json & { id: string };
    excludeCredentials?: (Json & { id: string })[];
  };
  const credential = (await navigator.credentials.create({
    publicKey: {
      ...(publicKey as unknown as PublicKeyCredentialCreationOptions),
      challenge: toBytes(publicKey.challenge),
      user: { ...(publicKey.user as unknown as PublicKeyCredentialUserEntity), id: toBytes(publicKey.user.id) },
      excludeCredentials: (publicKey.excludeCredentials ?? []).map((c) => ({
        ...(c as unknown as PublicKeyCredentialDescriptor),
        id: toBytes(c.id),
      })),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was created.');
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toBase64url(response.attestationObject),
      clientDataJSON: toBase64url(response.clientDataJSON),
      transports: response.getTransports?.() ?? [],
    },
    extensions: credential.getClientExtensionResults(),
  };
}

/** Asks the browser for one of this site's passkeys, from `POST /auth/passkey/start`'s options. */
export async function usePasskey(options: Json): Promise<Json> {
  const publicKey = structuredClone(options.publicKey) as Json & {
    challenge: string;
    allowCredentials?: (Json & { id: string })[];
  };
  const credential = (await navigator.credentials.get({
    publicKey: {
      ...(publicKey as unknown as PublicKeyCredentialRequestOptions),
      challenge: toBytes(publicKey.challenge),
      allowCredentials: (publicKey.allowCredentials ?? []).map((c) => ({
        ...(c as unknown as PublicKeyCredentialDescriptor),
        id: toBytes(c.id),
      })),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was chosen.');
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toBase64url(response.authenticatorData),
      clientDataJSON: toBase64url(response.clientDataJSON),
      signature: toBase64url(response.signature),
      userHandle: toBase64url(response.userHandle),
    },
    extensions: credential.getClientExtensionResults(),
  };
}
