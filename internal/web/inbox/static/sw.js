// Senim's service worker for Web Push (served at /inbox/sw.js, scope /inbox/). A push
// carries {id, title, body, url, lang}: who sent a notice and where to read it, never
// the notice itself, in the citizen's language. The notification opens the notice in the cabinet; only a link to this
// origin is followed.
"use strict";
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var title = typeof data.title === "string" && data.title ? data.title : "Senim";
  var url = typeof data.url === "string" ? data.url : "/inbox";
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof data.body === "string" ? data.body : "",
    tag: typeof data.id === "string" ? data.id : undefined,
    lang: typeof data.lang === "string" ? data.lang : "",
    data: { url: url }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = "/inbox";
  try {
    var u = new URL(event.notification.data && event.notification.data.url, self.location.origin);
    if (u.origin === self.location.origin) { target = u.pathname; }
  } catch (e) {}
  event.waitUntil(self.clients.openWindow(target));
});
