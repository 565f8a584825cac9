// A third-party OpenID provider for gitsign's tests: panva's oidc-provider on 127.0.0.1 with a
// public client `sigstore` (PKCE required, loopback redirects, device flow), ID tokens that carry
// email and email_verified, and its stock development login and consent pages. It prints
// `ready <issuer>` once listening and serves until killed.
import Provider from 'oidc-provider';
import http from 'node:http';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'sigstore',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/auth/callback'],
    grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub, email: sub, email_verified: true }; } };
  },
});
provider.proxy = false;
server.on('request', provider.callback());
process.stdout.write(`ready ${issuer}\n`);
// The test reads only the first line; further logging goes to stderr, never to a closed pipe.
for (const level of ['log', 'info', 'warn']) console[level] = (...args) => process.stderr.write(`${args.join(' ')}\n`);
