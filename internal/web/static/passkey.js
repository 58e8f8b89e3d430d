// Passkeys (internal/web/passkeys): hands the server's options to
// navigator.credentials and posts the authenticator's answer back in the page's
// form. A form with data-passkey="login" or "register" is wired; its texts come
// from its data- attributes, in the page's language.
(function () {
  "use strict";
  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function text(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function answer(cred, kind) {
    var r = cred.response, out = { id: cred.id, rawId: text(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {} };
    if (kind === "register") {
      out.response = { clientDataJSON: text(r.clientDataJSON), attestationObject: text(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [] };
    } else {
      out.response = { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData),
        signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : null };
    }
    return JSON.stringify(out);
  }
  function wire(form) {
    var kind = form.getAttribute("data-passkey"), status = document.getElementById(form.getAttribute("data-status"));
    var button = form.querySelector("button[type=submit]");
    function say(key) { status.textContent = form.getAttribute("data-" + key); form.setAttribute("data-state", key); }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say("unsupported");
      button.disabled = true;
      return;
    }
    form.addEventListener("submit", function (e) {
      if (form.elements.response.value) { return; } // the answer is in: post it
      e.preventDefault();
      if (kind === "register" && !form.reportValidity()) { return; }
      button.disabled = true;
      say("waiting");
      var body = new URLSearchParams();
      body.set("csrf", form.elements.csrf.value);
      fetch(form.getAttribute("data-options"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (res) {
          if (!res.ok) { throw new Error("options " + res.status); }
          return res.json();
        })
        .then(function (c) {
          var o = c.options.publicKey;
          o.challenge = bytes(o.challenge);
          if (kind === "register") {
            o.user.id = bytes(o.user.id);
            (o.excludeCredentials || []).forEach(function (d) { d.id = bytes(d.id); });
            form.elements.token.value = c.token;
            return navigator.credentials.create({ publicKey: o });
          }
          (o.allowCredentials || []).forEach(function (d) { d.id = bytes(d.id); });
          form.elements.token.value = c.token;
          return navigator.credentials.get({ publicKey: o });
        })
        .then(function (cred) {
          if (!cred) { throw new Error("no credential"); }
          form.elements.response.value = answer(cred, kind);
          say("sending");
          form.submit();
        })
        .catch(function (err) {
          button.disabled = false;
          form.setAttribute("data-error", (err && err.name) || "Error");
          say(err && err.name === "NotAllowedError" ? "cancelled" : "failed");
        });
    });
  }
  document.querySelectorAll("form[data-passkey]").forEach(wire);
})();
