"""PDF reports made on the server (reportlab; no browser): a park's profile, the parks
compared, and a site match. A4 pages, the map drawn as vectors from the store's geometries
(:mod:`~web.reports.mapdraw`), the Chinese font embedded (:mod:`~web.reports.document`), a QR
code on each page that opens the same view on the service. Routes: :mod:`~web.reports.views`
(``/parks/<id>.pdf``, ``/parks.pdf``) and ``/api/match?f=pdf`` (:mod:`web.api.match`).
"""
