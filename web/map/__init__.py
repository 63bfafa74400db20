"""Map building for the pages: folium maps (:mod:`~web.map.build`), popups
(:mod:`~web.map.popup`), layer styles (:mod:`~web.map.style`) and the interface words in
both languages (:mod:`~web.map.words`). Pure functions of store features and options: no
Flask request, no network I/O."""
