// Real JavaScript clients against poolmail, unmodified: amazon-cognito-identity-js signs
// up, confirms with the mailed code and signs in over SRP; aws-jwt-verify checks the tokens
// against the JWKS the pool serves; the AWS SDK v3 uses them. Prints one JSON report.
//
// Usage: node signin.mjs ENDPOINT POOL_ID CLIENT_ID   (run by test_client_libraries.py)
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from "amazon-cognito-identity-js";
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { JwtRsaVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const [endpoint, userPoolId, clientId] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: clientId, endpoint });
const sdk = new CognitoIdentityProviderClient({
  endpoint,
  region: userPoolId.split("_")[0],
  credentials: { accessKeyId: "AKIDPOOLMAILTEST", secretAccessKey: "secret" },
  maxAttempts: 1,
});
const report = {};

const signUp = (username, password, email) =>
  new Promise((resolve, reject) =>
    pool.signUp(
      username,
      password,
      [new CognitoUserAttribute({ Name: "email", Value: email })],
      null,
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );

const confirm = (user, code) =>
  new Promise((resolve, reject) =>
    user.confirmRegistration(code, true, (err, result) => (err ? reject(err) : resolve(result))),
  );

// Resolves with the session, or with the challenge's name when one interrupts the sign-in.
const authenticate = (user, password, newPassword) =>
  new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: user.getUsername(), Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired(userAttributes) {
        report.newPasswordRequiredAttributes = { ...userAttributes };
        delete userAttributes.email_verified;
        delete userAttributes.email;
        user.completeNewPasswordChallenge(newPassword, userAttributes, {
          onSuccess: resolve,
          onFailure: reject,
        });
      },
    }),
  );

const refreshSession = (user, token) =>
  new Promise((resolve, reject) =>
    user.refreshSession(token, (err, session) => (err ? reject(err) : resolve(session))),
  );

async function mailedCode(recipient) {
  const url = `${endpoint}/_poolmail/messages/latest?recipient=${encodeURIComponent(recipient)}`;
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`no mail to ${recipient}: ${answer.status}`);
  return (await answer.json()).details.code;
}

// aws-jwt-verify's own fetcher speaks HTTPS only; this one fetches the same JWKS over the
// local server's plain HTTP, and the verifier does everything else itself.
const jwksCache = new SimpleJwksCache({
  fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() },
});
const issuer = `${endpoint}/${userPoolId}`;
const idVerifier = JwtRsaVerifier.create(
  { issuer, audience: clientId, customJwtCheck: ({ payload }) => expectUse(payload, "id") },
  { jwksCache },
);
const accessVerifier = JwtRsaVerifier.create(
  {
    issuer,
    audience: null,
    customJwtCheck: ({ payload }) => {
      expectUse(payload, "access");
      if (payload.client_id !== clientId) throw new Error("wrong client_id");
    },
  },
  { jwksCache },
);

function expectUse(payload, use) {
  if (payload.token_use !== use) throw new Error(`token_use ${payload.token_use}, not ${use}`);
}

async function main() {
  // 1. Sign up, confirm with the code from the mailbox, sign in over SRP.
  const email = "jay@example.com";
  const password = "Passw0rd!";
  await signUp("jay", password, email);
  const user = new CognitoUser({ Username: "jay", Pool: pool });
  await confirm(user, await mailedCode(email));
  const session = await authenticate(user, password);
  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();

  // 2. Tokens verified against the served JWKS.
  const idClaims = await idVerifier.verify(idToken);
  const accessClaims = await accessVerifier.verify(accessToken);
  report.id = { username: idClaims["cognito:username"], email: idClaims.email, verified: idClaims.email_verified };
  report.access = { username: accessClaims.username, scope: accessClaims.scope };
  report.sessionValid = session.isValid();

  // 3. The AWS SDK v3 with those tokens: GetUser, a refresh, a global sign-out.
  const me = await sdk.send(new GetUserCommand({ AccessToken: accessToken }));
  report.getUser = me.Username;
  const refreshed = await sdk.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: session.getRefreshToken().getToken() },
    }),
  );
  await idVerifier.verify(refreshed.AuthenticationResult.IdToken);
  report.refreshed = !("RefreshToken" in refreshed.AuthenticationResult);
  await sdk.send(new GlobalSignOutCommand({ AccessToken: accessToken }));
  try {
    await refreshSession(user, session.getRefreshToken());
    report.afterSignOut = "refreshed";
  } catch (err) {
    report.afterSignOut = `${err.code}: ${err.message}`;
  }

  // 4. An invited user completes NEW_PASSWORD_REQUIRED in the library.
  await sdk.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: "kim",
      TemporaryPassword: "Temp-Passw0rd",
      UserAttributes: [{ Name: "email", Value: "kim@example.com" }],
      MessageAction: "SUPPRESS",
    }),
  );
  const invited = new CognitoUser({ Username: "kim", Pool: pool });
  const invitedSession = await authenticate(invited, "Temp-Passw0rd", "Own-Passw0rd1");
  const invitedClaims = await idVerifier.verify(invitedSession.getIdToken().getJwtToken());
  report.invited = invitedClaims["cognito:username"];

  // 5. A wrong password, as the library reports it.
  try {
    await authenticate(new CognitoUser({ Username: "jay", Pool: pool }), "Wrong-Passw0rd1");
    report.wrongPassword = "signed in";
  } catch (err) {
    report.wrongPassword = `${err.code}: ${err.message}`;
  }
}

main()
  .then(() => console.log(JSON.stringify(report)))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
