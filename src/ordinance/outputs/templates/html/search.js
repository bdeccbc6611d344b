/* Search across every law page, offline. The index is search-index.js, loaded by a
   <script> tag (browsers refuse to fetch files for a page opened from file://), and made
   by `ordinance docs`.
   Results are built with textContent only: law text is never parsed as HTML. */
(function () {
  'use strict';
  var data = window.ORDINANCE_SEARCH;
  var form = document.getElementById('search');
  if (!data || !form) { return; }
  var input = document.getElementById('search-q');
  var status = document.getElementById('search-status');
  var list = document.getElementById('search-results');
  var fold = function (text) {  // case and accents do not matter: "informacion" finds "información"
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  };
  var entries = data.entries.map(function (entry) {
    return {entry: entry, title: fold(entry.title + ' ' + entry.cite),
            all: fold([entry.title, entry.cite, entry.law, entry.text].join(' '))};
  });

  var snippet = function (entry, term) {
    var text = entry.text;
    var at = fold(text).indexOf(term);
    if (at < 0) { return text.length > 160 ? text.slice(0, 157) + '…' : text; }
    var start = Math.max(0, at - 60);
    var end = Math.min(text.length, at + 100);
    return (start > 0 ? '…' : '') + text.slice(start, end) + (end < text.length ? '…' : '');
  };

  var run = function () {
    var terms = fold(input.value).split(/\s+/).filter(Boolean);
    list.textContent = '';
    if (!terms.length) { status.textContent = ''; return 0; }
    var has = function (field) {
      return function (item) { return terms.every(function (t) { return item[field].indexOf(t) >= 0; }); };
    };
    var found = entries.filter(has('all'));
    var inTitle = found.filter(has('title'));
    found = inTitle.concat(found.filter(function (item) { return inTitle.indexOf(item) < 0; }));
    found.slice(0, data.limit).forEach(function (item) {
      var li = document.createElement('li');
      var link = document.createElement('a');
      link.href = item.entry.href;
      link.textContent = item.entry.title;
      li.appendChild(link);
      var where = document.createElement('span');
      where.className = 'where';
      where.textContent = item.entry.law + (item.entry.cite ? ' — ' + item.entry.cite : '');
      li.appendChild(where);
      if (item.entry.text) {
        var words = document.createElement('span');
        words.className = 'snippet';
        words.lang = item.entry.lang;
        words.textContent = snippet(item.entry, terms[0]);
        li.appendChild(words);
      }
      list.appendChild(li);
    });
    var message = found.length === 0 ? data.ui.none
      : found.length > data.limit ? data.ui.some : data.ui.found;
    status.textContent = message.replace('{n}', found.length).replace('{shown}', data.limit);
    return found.length;
  };

  form.hidden = false;
  input.addEventListener('input', run);
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { input.value = ''; run(); }
  });
  form.addEventListener('submit', function (event) {  // Enter: to the first result
    event.preventDefault();
    if (run() > 0) { list.querySelector('a').focus(); }
  });
})();
