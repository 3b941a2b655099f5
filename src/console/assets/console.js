/* global window, document, EventSource, setTimeout */
// The console's only script: keeps a page live. The server renders every
// change as HTML (the same components as the page); this swaps it in. The
// browser's EventSource does the protocol: it reconnects by itself and sends
// Last-Event-ID, so the server resumes where the page left off. Without
// JavaScript the pages read the same, only not live.
(function () {
  'use strict';
  var main = document.querySelector('main[data-live-url]');
  if (!main || !window.EventSource) return;
  var status = document.getElementById('live-status');
  var url = main.getAttribute('data-live-url');
  var last = main.getAttribute('data-live-after') || '';
  var retryTimer = null;
  // fragments are rendered once for every viewer: their forms get this page's CSRF token here
  var csrfField = document.querySelector('input[name="_csrf"]');
  var csrf = csrfField ? csrfField.value : '';

  function say(text, state) {
    if (!status) return;
    status.textContent = text;
    status.setAttribute('data-state', state);
  }

  function flash(element) {
    element.classList.add('just-updated');
    element.addEventListener('animationend', function () {
      element.classList.remove('just-updated');
    }, { once: true });
  }

  // replaces the element with the fragment's id, keeping keyboard focus where it was
  function replace(fragment) {
    var old = document.getElementById(fragment.id);
    if (!old) return;
    var template = document.createElement('template');
    template.innerHTML = fragment.html;
    var next = template.content.firstElementChild;
    if (!next) return;
    next.querySelectorAll('input[name="_csrf"]').forEach(function (field) {
      if (!field.getAttribute('value')) field.setAttribute('value', csrf);
    });
    // a reconnect sends every fragment: those that did not change stay as they are
    if (next.outerHTML === old.outerHTML) return;
    var focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : '';
    old.replaceWith(next);
    flash(next);
    if (focused) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  }

  function prepend(html) {
    var list = document.getElementById('activity-list');
    if (!list) return;
    list.insertAdjacentHTML('afterbegin', html);
    var empty = document.getElementById('activity-empty');
    if (empty) empty.remove();
    while (list.children.length > 500) list.lastElementChild.remove();
  }

  function connect() {
    retryTimer = null;
    var source = new EventSource(last ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'after=' + encodeURIComponent(last) : url);
    source.onopen = function () {
      say('Live', 'live');
    };
    source.addEventListener('fragments', function (event) {
      if (event.lastEventId) last = event.lastEventId;
      JSON.parse(event.data).forEach(replace);
    });
    source.addEventListener('activity', function (event) {
      if (event.lastEventId) last = event.lastEventId;
      prepend(JSON.parse(event.data));
    });
    source.onerror = function () {
      say('Reconnecting…', 'reconnecting');
      // CONNECTING: the browser retries by itself (with Last-Event-ID). CLOSED: the
      // server answered something other than a stream (a restart's 502): start over.
      if (source.readyState === EventSource.CLOSED && !retryTimer) {
        retryTimer = setTimeout(connect, 1000);
      }
    };
  }

  connect();
})();
