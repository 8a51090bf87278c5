/*
 * Security keys (WebAuthn) in the browser: registering a key, signing in with it, and confirming
 * a dangerous act with it. No inline script and no configuration in the page's code: each
 * control is an element with data-security-key="register|sign-in|confirm" whose data- attributes
 * carry the server's addresses and the messages, already translated.
 */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = withIds(json.excludeCredentials);
    return { publicKey: options };
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = withIds(json.allowCredentials);
    return { publicKey: options };
  }

  function credentialJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  function csrfToken(control) {
    var form = control.closest("form") || document.querySelector("form");
    var field = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function post(control, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(control) },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (data) { return { ok: response.ok, data: data }; },
        function () { return { ok: false, data: {} }; }
      );
    });
  }

  function say(control, text) {
    var status = control.querySelector("[data-key-status]");
    if (status) status.textContent = text;
  }

  function run(control, button) {
    var kind = control.dataset.securityKey;
    var body = { purpose: control.dataset.purpose || "", next: control.dataset.next || "" };
    button.disabled = true;
    say(control, control.dataset.messageWorking);
    post(control, control.dataset.begin, body)
      .then(function (begun) {
        if (!begun.ok) throw new Error(begun.data.error || control.dataset.messageFailed);
        var ask = kind === "register"
          ? navigator.credentials.create(creationOptions(begun.data))
          : navigator.credentials.get(requestOptions(begun.data));
        return ask.then(
          function (credential) {
            return post(control, control.dataset.finish, Object.assign(body, { credential: credentialJson(credential) }));
          },
          function () { throw new Error(control.dataset.messageCancelled); }
        );
      })
      .then(function (finished) {
        if (!finished.ok) throw new Error(finished.data.error || control.dataset.messageFailed);
        if (finished.data.token) {
          var field = document.getElementById(control.dataset.field);
          if (field) field.value = finished.data.token;
          say(control, control.dataset.messageDone);
          button.disabled = false;
          return;
        }
        say(control, control.dataset.messageDone);
        window.location.assign(finished.data.redirect);
      })
      .catch(function (error) {
        say(control, error.message || control.dataset.messageFailed);
        button.disabled = false;
      });
  }

  function start() {
    var supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
    var hasKeys = document.body.dataset.securityKeys === "yes";
    document.querySelectorAll("[data-security-key]").forEach(function (control) {
      var button = control.querySelector("button");
      if (!button) return;
      if (control.dataset.securityKey === "confirm" && !hasKeys) return;
      if (!supported) {
        if (control.dataset.securityKey !== "confirm") say(control, control.dataset.messageUnsupported);
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () { run(control, button); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
