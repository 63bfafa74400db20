"""Map building for the pages: folium maps (:mod:`~web.map.build`, assembling the layers of
:mod:`~web.map.layers` and the controls and legend of :mod:`~web.map.controls`, as
:mod:`~web.map.options` asks), popups (:mod:`~web.map.popup`), layer styles
(:mod:`~web.map.style`), Leaflet's coordinate order (:mod:`~web.map.latlon`) and the interface words
(:mod:`~web.map.words`, gettext catalogs read with the standard library). Functions of
store features and options: no Flask request and no network I/O; each builder names the
language it writes in."""
