// The passkey pages of managed login: run the WebAuthn ceremony whose options the page
// carries (data-options, as the API returns them) and post its JSON result back in the
// form's `credential` field, in the shapes the API takes (RegistrationResponseJSON,
// AuthenticationResponseJSON).
"use strict";
(function () {
  const form = document.getElementById("passkeyForm");
  if (!form) return;
  const button = document.getElementById("passkeyButton");
  const shown = document.getElementById("passkeyError");

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((entry) => ({ ...entry, id: toBytes(entry.id) }));
  }

  async function create(options) {
    const credential = await navigator.credentials.create({
      publicKey: {
        ...options,
        challenge: toBytes(options.challenge),
        user: { ...options.user, id: toBytes(options.user.id) },
        excludeCredentials: descriptors(options.excludeCredentials),
      },
    });
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        attestationObject: toText(credential.response.attestationObject),
        transports: credential.response.getTransports(),
      },
    };
  }

  async function get(options) {
    const assertion = await navigator.credentials.get({
      publicKey: {
        ...options,
        challenge: toBytes(options.challenge),
        allowCredentials: descriptors(options.allowCredentials),
      },
    });
    const response = assertion.response;
    return {
      id: assertion.id,
      rawId: toText(assertion.rawId),
      type: assertion.type,
      authenticatorAttachment: assertion.authenticatorAttachment,
      clientExtensionResults: assertion.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(response.clientDataJSON),
        authenticatorData: toText(response.authenticatorData),
        signature: toText(response.signature),
        userHandle: response.userHandle && toText(response.userHandle),
      },
    };
  }

  async function run() {
    button.disabled = true;
    shown.hidden = true;
    try {
      const options = JSON.parse(form.dataset.options);
      const result = form.dataset.mode === "create" ? await create(options) : await get(options);
      form.elements.credential.value = JSON.stringify(result);
      form.submit();
    } catch (error) {
      shown.textContent = "The passkey was not used: " + (error && error.message ? error.message : error);
      shown.hidden = false;
      button.disabled = false;
    }
  }

  if (!window.PublicKeyCredential) {
    shown.textContent = "This browser does not support passkeys.";
    shown.hidden = false;
    return;
  }
  button.disabled = false;
  button.addEventListener("click", run);
})();
