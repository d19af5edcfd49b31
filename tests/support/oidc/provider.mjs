// The OpenID Provider the sign-in tests run against: `oidc-provider` (a certified
// implementation) on loopback, configured from the environment by the test that starts it.
//
//   OIDC_PORT          port on 127.0.0.1 (the issuer is http://127.0.0.1:<port>)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (comma-separated)
//   OIDC_JWKS          a private JWK Set (JSON) to sign with; a test restarts the provider
//                      with another to rotate keys
//   OIDC_CLOCK_OFFSET_SECS   added to the provider's clock, to mint tokens already expired
//
// Signing in: `devInteractions`, the package's own login and consent forms; any login name
// is an account whose claims are below (the email verified unless the name starts with
// "unverified").
import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const port = Number(env('OIDC_PORT', '9400'));
const offset = Number(env('OIDC_CLOCK_OFFSET_SECS', '0')) * 1000;
if (offset !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: env('OIDC_CLIENT_ID', 'devforum'),
      client_secret: env('OIDC_CLIENT_SECRET', 'devforum-secret'),
      redirect_uris: env('OIDC_REDIRECT_URIS', 'http://127.0.0.1/callback').split(','),
    },
  ],
  jwks: process.env.OIDC_JWKS ? JSON.parse(process.env.OIDC_JWKS) : undefined,
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
        return {
          sub: id,
          email: `${id}@oidc.test`,
          email_verified: !id.startsWith('unverified'),
          name: id,
          preferred_username: id,
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
