"""Map building for the pages: folium maps (:mod:`~web.map.build`), popups
(:mod:`~web.map.popup`), layer styles (:mod:`~web.map.style`) and the interface words
(:mod:`~web.map.words`, gettext catalogs through Flask-Babel). Functions of store features
and options: no Flask request and no network I/O; the words need an app context (the
catalogs are the app's), and each builder names the language it writes in."""
