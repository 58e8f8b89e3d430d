// sign.js — Senim's signing component (templates/sign.html). No dependencies.
//
// It signs the text in #signer's data-b64 (or, when the person chose the format XML,
// the XML document in data-xml-b64) with NCALayer (the NCA's signing application,
// a WebSocket server on 127.0.0.1) or with eGov Mobile (a QR code holding a mobileSign:
// link, or a deep link on a phone), puts the CMS into the form's "cms" field and
// submits the form: the server checks the signature exactly as it checks one pasted
// by hand. Every message comes from the page (#sign-messages), in its language.
(function () {
  "use strict";
  var root = document.getElementById("signer");
  if (!root) { return; }
  var form = root.closest("form");
  var field = document.getElementById("cms");
  var status = document.getElementById("sign-status");
  var ncaButton = document.getElementById("sign-ncalayer");
  var mobileButton = document.getElementById("sign-mobile");
  var data = root.getAttribute("data-b64");

  // xmlChosen: the page offers the text as an XML document too and the person chose it.
  function xmlChosen() {
    var x = document.getElementById("sign-format-xml");
    return !!(x && x.checked && root.hasAttribute("data-xml-b64"));
  }
  // xmlText is the XML document as a string (NCALayer's format "xml" takes the XML
  // itself, not base64).
  function xmlText() {
    var bin = atob(root.getAttribute("data-xml-b64"));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new TextDecoder("utf-8").decode(bytes);
  }

  function msg(key) {
    var el = root.querySelector('#sign-messages [data-k="' + key + '"]');
    return el ? el.textContent : "";
  }
  function say(key, detail, bad) {
    var text = msg(key) || msg("sign.nca.failed");
    status.textContent = detail ? text + " " + detail : text;
    status.className = bad ? "error" : "";
    status.setAttribute("data-state", key);
  }
  function busy(on) {
    if (ncaButton) { ncaButton.disabled = on; }
    if (mobileButton) { mobileButton.disabled = on; }
  }
  // done hands the signature to the form, which posts it to the endpoint that checks it.
  function done(cms) {
    say("sign.sending");
    field.value = cms;
    form.submit();
  }

  // ---- NCALayer ------------------------------------------------------------------
  // On connecting NCALayer sends {"result":{"version":"…"}}. Versions that have the
  // module kz.gov.pki.knca.basics get its "sign" (named arguments, answer
  // {status, body:{result}} or {status:false, code, message}); older ones get
  // kz.gov.pki.knca.commonUtils "createCAdESFromBase64" (positional arguments, answer
  // {code:"200", responseObject} or {code, message}).
  // signingParams asks NCALayer for a signature time-stamp (tsaProfile) where the
  // page needs CAdES-T (data-tsa): an agreement signed with EDS keeps its time.
  function signingParams() {
    var p = { decode: true, encapsulate: true, digested: false };
    if (root.hasAttribute("data-tsa")) { p.tsaProfile = {}; }
    return p;
  }
  function basicsRequest() {
    var signer = { extKeyUsageOids: root.hasAttribute("data-auth") ? [] : ["1.3.6.1.5.5.7.3.4"] };
    var iin = root.getAttribute("data-iin");
    if (iin) { signer.iin = iin; }
    var xml = xmlChosen();
    return {
      module: "kz.gov.pki.knca.basics",
      method: "sign",
      args: {
        allowedStorages: ["PKCS12", "AKKaztokenStore", "AKKZIDCardStore", "AKEToken72KStore", "AKJaCartaStore"],
        format: xml ? "xml" : "cms",
        data: xml ? xmlText() : data,
        signingParams: xml ? {} : signingParams(),
        signerParams: signer,
        locale: document.documentElement.lang || "ru"
      }
    };
  }
  function commonRequest() {
    if (xmlChosen()) {
      return {
        module: "kz.gov.pki.knca.commonUtils",
        method: "signXml",
        args: ["PKCS12", root.hasAttribute("data-auth") ? "AUTHENTICATION" : "SIGNATURE", xmlText(), "", ""]
      };
    }
    return {
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", root.hasAttribute("data-auth") ? "AUTHENTICATION" : "SIGNATURE", data, true]
    };
  }
  function hasBasics(version) {
    var p = String(version || "").split(".");
    var major = parseInt(p[0], 10) || 0, minor = parseInt(p[1], 10) || 0;
    return major > 1 || (major === 1 && minor >= 2);
  }
  // problemKey maps NCALayer's refusals to the page's messages.
  function problemKey(code, message) {
    var s = (String(code || "") + " " + String(message || "")).toLowerCase();
    if (s.indexOf("cancel") >= 0) { return "sign.nca.cancelled"; }
    if (s.indexOf("wrong_key") >= 0 || s.indexOf("no_key") >= 0 || s.indexOf("iin") >= 0) { return "sign.nca.wrong_key"; }
    return "sign.nca.failed";
  }
  function ncalayer() {
    busy(true);
    say("sign.nca.connecting");
    var ws, stage = "hello", legacy = false;
    try {
      ws = new WebSocket(root.getAttribute("data-ncalayer"));
    } catch (e) {
      busy(false);
      say("sign.nca.absent", "", true);
      return;
    }
    var fail = function (key, detail) {
      if (stage === "over") { return; }
      stage = "over";
      busy(false);
      say(key, detail, key !== "sign.nca.cancelled");
      try { ws.close(); } catch (e) { /* closed already */ }
    };
    ws.onerror = function () { fail(stage === "hello" ? "sign.nca.absent" : "sign.nca.failed"); };
    ws.onclose = function () { fail(stage === "hello" ? "sign.nca.absent" : "sign.nca.failed"); };
    ws.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; } // heartbeats
      if (!m || typeof m !== "object") { return; }
      if (stage === "hello") {
        legacy = !(m.result && hasBasics(m.result.version));
        stage = "sign";
        say("sign.nca.choose");
        ws.send(JSON.stringify(legacy ? commonRequest() : basicsRequest()));
        return;
      }
      if (stage !== "sign") { return; }
      var cms = null;
      if (m.status === true && m.body) {
        cms = Array.isArray(m.body.result) ? m.body.result[0] : m.body.result;
      } else if (m.code === "200" && m.responseObject) {
        cms = m.responseObject;
      } else if (!legacy && m.status === false && String(m.code) === "MODULE_NOT_FOUND") {
        legacy = true;
        ws.send(JSON.stringify(commonRequest()));
        return;
      } else {
        // NCALayer's own words only when there is no message of ours for the case.
        var key = problemKey(m.code, m.message);
        fail(key, key === "sign.nca.failed" && m.message ? "(" + m.message + ")" : "");
        return;
      }
      stage = "over";
      ws.close();
      done(cms);
    };
  }

  // ---- eGov Mobile ---------------------------------------------------------------
  var svgNS = "http://www.w3.org/2000/svg";
  function drawQR(rows) {
    var n = rows.length, quiet = 4;
    var svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 " + (n + 2 * quiet) + " " + (n + 2 * quiet));
    svg.setAttribute("width", "240");
    svg.setAttribute("height", "240");
    svg.setAttribute("shape-rendering", "crispEdges");
    var bg = document.createElementNS(svgNS, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", "#fff");
    svg.appendChild(bg);
    var d = "";
    for (var y = 0; y < n; y++) {
      for (var x = 0; x < n; x++) {
        if (rows[y].charAt(x) === "1") { d += "M" + (x + quiet) + " " + (y + quiet) + "h1v1h-1z"; }
      }
    }
    var path = document.createElementNS(svgNS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "#000");
    svg.appendChild(path);
    var box = document.getElementById("sign-qr-code");
    box.textContent = "";
    box.appendChild(svg);
  }
  var phone = /Android|iPhone|iPad|iPod/i.test(navigator.userAgent);
  var stream = null; // the eGov Mobile request being watched
  function mobile() {
    if (stream) { stream.close(); stream = null; }
    // The old code is used up: take it off the screen before asking for a new one.
    document.getElementById("sign-qr").hidden = true;
    document.getElementById("sign-qr-code").textContent = "";
    root.removeAttribute("data-link");
    busy(true);
    say("sign.mobile.starting");
    var body = new URLSearchParams(new FormData(form));
    body.delete("cms");
    fetch(root.getAttribute("data-mobile"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    }).then(function (d) {
      drawQR(d.qr);
      document.getElementById("sign-app").href = d.citizen;
      document.getElementById("sign-app-business").href = d.business;
      var sp = document.getElementById("sign-phone");
      if (sp && d.phone) { sp.href = d.phone; }
      document.getElementById("sign-qr").hidden = false;
      document.getElementById("sign-qr-code").hidden = phone; // a phone follows the link
      root.setAttribute("data-link", d.link);
      say("sign.mobile.waiting");
      watch(d.events);
    }).catch(function () {
      busy(false);
      say("sign.mobile.failed", "", true);
    });
  }
  function watch(url) {
    var es = new EventSource(url);
    stream = es;
    es.addEventListener("state", function (e) {
      say(e.data === "opened" ? "sign.mobile.opened" : "sign.mobile.waiting");
    });
    // A refused signature changes nothing; the citizen may sign again with the right
    // key on the phone, or ask for a new code.
    es.addEventListener("refused", function (e) {
      busy(false);
      say(msg("error." + e.data) ? "error." + e.data : "sign.nca.failed", "", true);
    });
    es.addEventListener("signed", function (e) {
      es.close();
      done(e.data);
    });
    es.addEventListener("gone", function () {
      es.close();
      busy(false);
      document.getElementById("sign-qr").hidden = true;
      say("sign.mobile.expired", "", true);
    });
  }

  if (ncaButton) {
    ncaButton.hidden = false;
    ncaButton.addEventListener("click", ncalayer);
  }
  if (mobileButton) {
    mobileButton.hidden = false;
    mobileButton.addEventListener("click", mobile);
  }
})();
