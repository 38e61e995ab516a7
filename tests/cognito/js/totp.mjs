// amazon-cognito-identity-js (Amplify JS v5's Cognito library), unmodified, through
// authenticator-app MFA against poolmail; codes from the `otpauth` package at the server's
// time. Prints one JSON report.
//
// Usage: node totp.mjs ENDPOINT SCENARIO POOL_ID CLIENT_ID   (run by test_amplify.py)
//   totp       (MFA optional) SRP sign-in, associateSoftwareToken, verifySoftwareToken,
//              setUserMfaPreference; then a sign-in: totpRequired -> sendMFACode
//   mfa-setup  (MFA required) the first sign-in meets mfaSetup: associate and verify
//              through the session; then a sign-in: totpRequired -> sendMFACode
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import * as OTPAuth from "otpauth";

const [endpoint, scenario, userPoolId, clientId] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: clientId, endpoint });
const PASSWORD = "Passw0rd!";
const report = {};

async function totpCode(app, steps = 0) {
  const clock = await (await fetch(`${endpoint}/_poolmail/clock`)).json();
  return app.generate({ timestamp: (clock.epoch + 30 * steps) * 1000 });
}

const appFor = (secret) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });

// Resolves with {challenge, parameters} when the sign-in stops at a challenge, or with
// {session} when it completes.
const authenticate = (user) =>
  new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: user.getUsername(), Password: PASSWORD }), {
      onSuccess: (session) => resolve({ session }),
      onFailure: reject,
      totpRequired: (challenge, parameters) => resolve({ challenge, parameters }),
      mfaSetup: (challenge, parameters) => resolve({ challenge, parameters }),
    }),
  );

const associate = (user) =>
  new Promise((resolve, reject) =>
    user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }),
  );

const verify = (user, code) =>
  new Promise((resolve, reject) =>
    user.verifySoftwareToken(code, "phone", { onSuccess: resolve, onFailure: reject }),
  );

const preferTotp = (user) =>
  new Promise((resolve, reject) =>
    user.setUserMfaPreference(null, { Enabled: true, PreferredMfa: true }, (err, result) =>
      err ? reject(err) : resolve(result),
    ),
  );

const sendCode = (user, code) =>
  new Promise((resolve, reject) =>
    user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, "SOFTWARE_TOKEN_MFA"),
  );

// A sign-in stopped at SOFTWARE_TOKEN_MFA: a wrong code, then the app's next code.
async function signInWithTotp(app) {
  const user = new CognitoUser({ Username: "alice", Pool: pool });
  const stopped = await authenticate(user);
  report.challenge = { name: stopped.challenge, parameters: stopped.parameters };
  try {
    await sendCode(user, "000000");
    report.wrongCode = "accepted";
  } catch (err) {
    report.wrongCode = `${err.code}: ${err.message}`;
  }
  const session = await sendCode(user, await totpCode(app, 1));
  report.signedIn = { valid: session.isValid(), username: session.getAccessToken().payload.username };
}

async function optionalTotp() {
  const user = new CognitoUser({ Username: "alice", Pool: pool });
  const first = await authenticate(user);
  report.firstSignIn = first.session ? "signed in" : first.challenge;
  const app = appFor(await associate(user));
  report.verified = await verify(user, await totpCode(app));
  report.preference = await preferTotp(user);
  await signInWithTotp(app);
}

async function requiredTotp() {
  const user = new CognitoUser({ Username: "alice", Pool: pool });
  const first = await authenticate(user);
  report.setup = { name: first.challenge, parameters: first.parameters };
  const app = appFor(await associate(user));
  // With a session, verifySoftwareToken also answers MFA_SETUP and signs the user in.
  const session = await verify(user, await totpCode(app));
  report.setupSignedIn = session.isValid();
  await signInWithTotp(app);
}

const SCENARIOS = { totp: optionalTotp, "mfa-setup": requiredTotp };

SCENARIOS[scenario]()
  .then(() => console.log(JSON.stringify(report)))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
