// The OpenID Provider the sign-in tests run against: `oidc-provider` (a certified
// implementation) on loopback, configured from the environment by the test that starts it.
//
//   OIDC_PORT          port on 127.0.0.1 (the issuer is http://127.0.0.1:<port>)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (comma-separated)
//   OIDC_KID           sign with a fresh RSA key of this key id (a test restarts the provider
//                      with another to rotate keys); without it, the package's development key
//   OIDC_CLOCK_OFFSET_SECS   added to the provider's clock while its token endpoint answers,
//                      to mint tokens already expired (the sign-in pages keep the true time,
//                      or the browser would drop their cookies as expired)
//   OIDC_TAMPER        what to spoil in the ID token the token endpoint answers, to show the
//                      client refuses it: `aud` (issued to another client), `azp` (another
//                      authorised party), `nonce`, `signature`, `unknown_key` (signed with a
//                      key the JWKS does not hold)
//
// Signing in: `devInteractions`, the package's own login and consent forms; any login name
// is an account whose claims are below (the email verified unless the name starts with
// "unverified"; no email at all when it starts with "noemail").
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const port = Number(env('OIDC_PORT', '9400'));
const clientId = env('OIDC_CLIENT_ID', 'devforum');
const offset = Number(env('OIDC_CLOCK_OFFSET_SECS', '0')) * 1000;
const realNow = Date.now;
let shifted = false;
Date.now = () => realNow() + (shifted ? offset : 0);

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

const signingKey = process.env.OIDC_KID ? rsaJwk(process.env.OIDC_KID) : undefined;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: env('OIDC_CLIENT_SECRET', 'devforum-secret'),
      redirect_uris: env('OIDC_REDIRECT_URIS', 'http://127.0.0.1/callback').split(','),
    },
  ],
  jwks: signingKey ? { keys: [signingKey] } : undefined,
  cookies: { keys: ['devforum-tests-only'] },
  pkce: { required: () => true, methods: ['S256'] },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        const claims = { sub: id, name: id, preferred_username: id };
        if (!id.startsWith('noemail')) {
          claims.email = `${id}@oidc.test`;
          claims.email_verified = !id.startsWith('unverified');
        }
        return claims;
      },
    };
  },
});
provider.proxy = false;

// The spoiled ID token: its claims changed and signed again with the provider's own key (so
// only the changed claim is wrong), or signed with a key nobody publishes.
async function spoil(idToken, how) {
  const claims = jose.decodeJwt(idToken);
  const header = jose.decodeProtectedHeader(idToken);
  if (how === 'signature') {
    const [h, p, s] = idToken.split('.');
    return `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
  }
  let key = signingKey;
  if (how === 'aud') claims.aud = 'another-client';
  if (how === 'azp') claims.azp = 'another-client';
  if (how === 'nonce') claims.nonce = 'not-the-nonce-devforum-sent';
  if (how === 'unknown_key') key = rsaJwk('rogue-key');
  if (!key) throw new Error('OIDC_TAMPER needs OIDC_KID (a key this script holds)');
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: header.typ })
    .sign(await jose.importJWK(key, 'RS256'));
}

if (offset !== 0) {
  provider.use(async (ctx, next) => {
    shifted = ctx.path === '/token';
    try {
      await next();
    } finally {
      shifted = false;
    }
  });
}

const tamper = process.env.OIDC_TAMPER;
if (tamper) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await spoil(ctx.body.id_token, tamper) };
    }
  });
}

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
