// An OpenID provider for the federation tests: `oidc-provider` from npm, on a free loopback
// port, with one confidential client (argv: client id, secret, auth method, redirect URIs
// separated by spaces). Interactions finish without a page: the end-user is the account the
// test chose last (POST /_test/next {"account": ..., "claims": {...}, "deny": bool}), so the
// flow runs browser-less. Prints {"issuer": ...} once listening; exits when stdin closes.
import http from "node:http";
import Provider from "oidc-provider";

const [clientId, clientSecret, authMethod, redirectUris] = process.argv.slice(2);
let next = { account: "alice", claims: {}, deny: false };

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris.split(" "),
        token_endpoint_auth_method: authMethod,
        response_types: ["code"],
        grant_types: ["authorization_code"],
      },
    ],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...next.claims }),
    }),
    // ID tokens carry the claims themselves, as most IdPs' do (Cognito reads them there
    // when no attributes_url is set).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => false },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["poolmail-federation-tests"] },
  });

  provider.use(async (ctx, nextMiddleware) => {
    if (ctx.path === "/_test/next" && ctx.method === "POST") {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      next = { account: "alice", claims: {}, deny: false, ...JSON.parse(Buffer.concat(chunks)) };
      ctx.status = 204;
      return;
    }
    if (ctx.path.startsWith("/interaction/")) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      let result;
      if (next.deny) {
        result = { error: "access_denied", error_description: "End-User aborted interaction" };
      } else if (details.prompt.name === "login") {
        result = { login: { accountId: next.account } };
      } else {
        const grant = new provider.Grant({ accountId: next.account, clientId });
        grant.addOIDCScope(details.params.scope);
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: false,
      });
      ctx.respond = false;
      return;
    }
    await nextMiddleware();
  });

  server.on("request", provider.callback());
  process.stdout.write(JSON.stringify({ issuer }) + "\n");
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
