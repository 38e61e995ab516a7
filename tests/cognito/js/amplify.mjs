// Amplify JS v6 against poolmail, unmodified, in Node: the library is configured with
// `userPoolEndpoint` (its documented option for a custom Cognito endpoint) and an in-memory
// token store, and runs one scenario. Every Cognito operation Amplify calls is recorded
// from the X-Amz-Target of its requests (a wrapper around the global fetch that Amplify's
// HTTP handler uses), so the test sees which API each step went through. Prints one JSON
// report.
//
// Usage: node amplify.mjs ENDPOINT SCENARIO POOL_ID CLIENT_ID   (run by test_amplify.py)
//   signup    signUp, confirmSignUp with the mailed code, SRP signIn, fetchAuthSession
//   totp      setUpTOTP, verifyTOTPSetup, updateMFAPreference, signOut, a TOTP sign-in
//   email-otp a passwordless USER_AUTH sign-in with an EMAIL_OTP code from the mailbox
//   refresh   SRP signIn, then fetchAuthSession({ forceRefresh: true }) twice
import { Amplify } from "aws-amplify";
import {
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  fetchMFAPreference,
  fetchUserAttributes,
  getCurrentUser,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  verifyTOTPSetup,
} from "aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import * as OTPAuth from "otpauth";

const [endpoint, scenario, userPoolId, userPoolClientId] = process.argv.slice(2);
const PASSWORD = "Passw0rd!";
const report = { calls: [] };

// ---- the recorder and the storage Node lacks ---------------------------------------------

const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const headers = new Headers(init.headers);
  const target = headers.get("x-amz-target");
  if (target) report.calls.push(target.split(".").pop());
  return realFetch(url, init);
};

// Amplify's KeyValueStorageInterface: a browser would give it localStorage.
class MemoryStorage {
  items = new Map();
  async setItem(key, value) {
    this.items.set(key, value);
  }
  async getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  async removeItem(key) {
    this.items.delete(key);
  }
  async clear() {
    this.items.clear();
  }
}

const storage = new MemoryStorage();
Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId,
      userPoolClientId,
      userPoolEndpoint: endpoint,
      loginWith: { username: true, email: false },
      signUpVerificationMethod: "code",
    },
  },
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);

// ---- poolmail's own API: codes and the server's clock ------------------------------------

async function newestCode(username) {
  const query = new URLSearchParams({ pool_id: userPoolId, username });
  const answer = await realFetch(`${endpoint}/_poolmail/codes?${query}`);
  if (!answer.ok) throw new Error(`no code for ${username}: ${answer.status}`);
  return (await answer.json()).code;
}

// The authenticator app's code at the server's time (tests may move that clock),
// `steps` 30-second steps away.
async function totpCode(app, steps = 0) {
  const clock = await (await realFetch(`${endpoint}/_poolmail/clock`)).json();
  return app.generate({ timestamp: (clock.epoch + 30 * steps) * 1000 });
}

function claims(session) {
  const access = session.tokens.accessToken.payload;
  const id = session.tokens.idToken?.payload ?? {};
  return {
    username: access.username,
    tokenUse: [id.token_use, access.token_use],
    email: id.email,
    emailVerified: id.email_verified,
    jti: access.jti,
    iat: access.iat,
    originJti: access.origin_jti,
    authTime: access.auth_time,
  };
}

const errorOf = (err) => `${err.name}: ${err.message}`;

// ---- the scenarios -----------------------------------------------------------------------

async function signUpAndSignIn() {
  const username = "jay";
  const signedUp = await signUp({
    username,
    password: PASSWORD,
    options: { userAttributes: { email: "jay@example.com" } },
  });
  report.signUp = {
    isSignUpComplete: signedUp.isSignUpComplete,
    step: signedUp.nextStep.signUpStep,
    medium: signedUp.nextStep.codeDeliveryDetails?.deliveryMedium,
    destination: signedUp.nextStep.codeDeliveryDetails?.destination,
    hasUserId: Boolean(signedUp.userId),
  };
  const confirmed = await confirmSignUp({
    username,
    confirmationCode: await newestCode(username),
  });
  report.confirmSignUp = { isSignUpComplete: confirmed.isSignUpComplete, step: confirmed.nextStep.signUpStep };
  const signedIn = await signIn({ username, password: PASSWORD });
  report.signIn = { isSignedIn: signedIn.isSignedIn, step: signedIn.nextStep.signInStep };
  const session = await fetchAuthSession();
  report.session = claims(session);
  const user = await getCurrentUser();
  report.currentUser = { username: user.username, userIdIsSub: user.userId === session.userSub };
}

async function totpSignIn() {
  const username = "alice";
  const first = await signIn({ username, password: PASSWORD });
  report.firstSignIn = first.nextStep.signInStep;
  const setup = await setUpTOTP();
  // The URI an authenticator app scans, read back the way such an app reads it.
  const uri = setup.getSetupUri("poolmail", username);
  const app = OTPAuth.URI.parse(uri.href);
  report.setupUri = { protocol: uri.protocol, issuer: app.issuer, label: app.label, digits: app.digits, period: app.period };
  await verifyTOTPSetup({ code: await totpCode(app), options: { friendlyDeviceName: "phone" } });
  await updateMFAPreference({ totp: "PREFERRED" });
  const preference = await fetchMFAPreference();
  report.mfaPreference = { enabled: preference.enabled, preferred: preference.preferred };
  await signOut();

  const challenged = await signIn({ username, password: PASSWORD });
  report.challenge = { isSignedIn: challenged.isSignedIn, step: challenged.nextStep.signInStep };
  try {
    await confirmSignIn({ challengeResponse: "000000" });
    report.wrongCode = "accepted";
  } catch (err) {
    report.wrongCode = errorOf(err);
  }
  // The app's next code (Cognito accepts one step either side).
  const done = await confirmSignIn({ challengeResponse: await totpCode(app, 1) });
  report.confirmSignIn = { isSignedIn: done.isSignedIn, step: done.nextStep.signInStep };
  report.session = claims(await fetchAuthSession());
}

async function emailOtpSignIn() {
  const username = "alice";
  const challenged = await signIn({
    username,
    options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" },
  });
  report.challenge = {
    isSignedIn: challenged.isSignedIn,
    step: challenged.nextStep.signInStep,
    medium: challenged.nextStep.codeDeliveryDetails?.deliveryMedium,
    destination: challenged.nextStep.codeDeliveryDetails?.destination,
  };
  const done = await confirmSignIn({ challengeResponse: await newestCode(username) });
  report.confirmSignIn = { isSignedIn: done.isSignedIn, step: done.nextStep.signInStep };
  report.session = claims(await fetchAuthSession());
}

// The refresh token Amplify keeps, read from the storage it was given.
async function storedRefreshToken() {
  for (const [key, value] of storage.items) if (key.endsWith(".refreshToken")) return value;
  return null;
}

async function refreshSession() {
  const signedIn = await signIn({ username: "alice", password: PASSWORD });
  report.signIn = signedIn.nextStep.signInStep;
  const sessions = [await fetchAuthSession()];
  const refreshTokens = [await storedRefreshToken()];
  // Twice: with rotation on, the second refresh must use the token the first one returned.
  for (let round = 0; round < 2; round += 1) {
    sessions.push(await fetchAuthSession({ forceRefresh: true }));
    refreshTokens.push(await storedRefreshToken());
  }
  report.sessions = sessions.map(claims);
  report.accessTokens = new Set(sessions.map((s) => s.tokens.accessToken.toString())).size;
  report.idTokens = new Set(sessions.map((s) => s.tokens.idToken.toString())).size;
  report.refreshTokens = new Set(refreshTokens).size;
  // The refreshed session works: fetchUserAttributes calls GetUser with the new token.
  report.email = (await fetchUserAttributes()).email;
}

const SCENARIOS = {
  signup: signUpAndSignIn,
  totp: totpSignIn,
  "email-otp": emailOtpSignIn,
  refresh: refreshSession,
};

SCENARIOS[scenario]()
  .then(() => console.log(JSON.stringify(report)))
  .catch((err) => {
    console.error(err);
    console.error(JSON.stringify({ calls: report.calls }));
    process.exit(1);
  });
